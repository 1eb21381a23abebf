// SQLite C API wrappers for the image store (see sqlite.h).
#include "common/sqlite.h"

#include <sqlite3.h>

namespace berth::sql {

static ErrorKind kind_of(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
            return ErrorKind::Unavailable;
        case SQLITE_CONSTRAINT:
            return ErrorKind::Conflict;
        case SQLITE_PERM:
        case SQLITE_READONLY:
        case SQLITE_AUTH:
            return ErrorKind::PermissionDenied;
        case SQLITE_CANTOPEN:
            return ErrorKind::NotFound;
        default:
            return ErrorKind::Internal;
    }
}

Error Db::error(std::string_view what, int rc) const {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    return Error(kind_of(rc), std::string(what) + ": sqlite: " + msg).with_context(path_);
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
    std::unique_ptr<Db> db(new Db());
    db->path_ = path;
    int rc = sqlite3_open_v2(path.c_str(), &db->db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) return db->error("open", rc);
    sqlite3_extended_result_codes(db->db_, 1);
    return db;
}

Db::~Db() {
    sqlite3_close_v2(db_);
}

Result<Stmt> Db::prepare(std::string_view sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
    if (rc != SQLITE_OK) return error("prepare", rc);
    return Stmt(this, s);
}

Result<> Db::exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        return Error(kind_of(rc), "exec: sqlite: " + msg).with_context(path_);
    }
    return ok();
}

Result<int64_t> Db::query_int(std::string_view sql) {
    auto st = BERTH_TRY(prepare(sql));
    if (!BERTH_TRY(st.step())) return Error::internal("query returned no row: " + std::string(sql));
    return st.int64(0);
}

int64_t Db::changes() const {
    return sqlite3_changes(db_);
}

Stmt::Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)), bind_rc_(o.bind_rc_) {}

Stmt::~Stmt() {
    sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int i, std::string_view text) {
    int rc = sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK && bind_rc_ == 0) bind_rc_ = rc;
    return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
    int rc = sqlite3_bind_int64(stmt_, i, v);
    if (rc != SQLITE_OK && bind_rc_ == 0) bind_rc_ = rc;
    return *this;
}

Stmt& Stmt::bind_null(int i) {
    int rc = sqlite3_bind_null(stmt_, i);
    if (rc != SQLITE_OK && bind_rc_ == 0) bind_rc_ = rc;
    return *this;
}

Result<bool> Stmt::step() {
    if (bind_rc_ != 0) return db_->error("bind", bind_rc_);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return db_->error("step", rc);
}

Result<> Stmt::run() {
    while (BERTH_TRY(step())) {
    }
    return ok();
}

std::string Stmt::text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

int64_t Stmt::int64(int col) const {
    return sqlite3_column_int64(stmt_, col);
}

bool Stmt::is_null(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Result<Transaction> Transaction::begin(Db& db) {
    BERTH_TRY(db.exec("BEGIN IMMEDIATE"));
    return Transaction(&db);
}

Transaction::~Transaction() {
    if (db_) (void)db_->exec("ROLLBACK");  // fails only when SQLite already rolled back itself
}

Result<> Transaction::commit() {
    if (!db_) return Error::internal("transaction already finished");
    auto r = db_->exec("COMMIT");
    if (r) db_ = nullptr;  // on failure the destructor rolls back
    return r;
}

}  // namespace berth::sql
