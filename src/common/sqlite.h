// A thin RAII layer over the SQLite C API (connection, prepared
// statement, IMMEDIATE transaction) whose failures come back as berth::Error values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::sql {

class Db;

class Stmt {
public:
    Stmt(Stmt&& o) noexcept;
    Stmt& operator=(Stmt&&) = delete;
    Stmt(const Stmt&) = delete;
    ~Stmt();

    // Binds by 1-based index; chainable. Bind errors surface from step().
    Stmt& bind(int i, std::string_view text);
    Stmt& bind(int i, int64_t v);
    Stmt& bind_null(int i);
    // Advances: true if a row is available, false when done.
    Result<bool> step();
    // Runs to completion, ignoring rows.
    Result<> run();
    std::string text(int col) const;
    int64_t int64(int col) const;
    bool is_null(int col) const;

private:
    friend class Db;
    Stmt(Db* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
    Db* db_;
    sqlite3_stmt* stmt_;
    int bind_rc_ = 0;
};

class Db {
public:
    // Opens (creating) the database file; read-write, no shared cache, full mutex.
    static Result<std::unique_ptr<Db>> open(const std::string& path);
    ~Db();

    Result<Stmt> prepare(std::string_view sql);
    // Runs one or more statements without results (schema, pragmas).
    Result<> exec(const std::string& sql);
    // The first column of the first row as an integer (PRAGMA user_version, counts).
    Result<int64_t> query_int(std::string_view sql);
    // The last SQLite error on this connection, as an Error naming `what`.
    Error error(std::string_view what, int rc) const;
    int64_t changes() const;
    const std::string& path() const { return path_; }

private:
    Db() = default;
    sqlite3* db_ = nullptr;
    std::string path_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so two writers never
// deadlock upgrading read locks); ROLLBACK on destruction unless commit() succeeded.
class Transaction {
public:
    static Result<Transaction> begin(Db& db);
    Transaction(Transaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
    Transaction(const Transaction&) = delete;
    ~Transaction();
    Result<> commit();

private:
    explicit Transaction(Db* db) : db_(db) {}
    Db* db_;
};

}  // namespace berth::sql
