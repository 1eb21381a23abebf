#include "daemon/networks/store.h"

namespace berth::daemon::networks {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS networks (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    doc  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
    id           TEXT PRIMARY KEY,
    network_id   TEXT NOT NULL REFERENCES networks(id),
    container_id TEXT NOT NULL,
    ip           TEXT NOT NULL,
    doc          TEXT NOT NULL,
    UNIQUE (network_id, container_id),
    UNIQUE (network_id, ip)
);
CREATE INDEX IF NOT EXISTS endpoints_container ON endpoints(container_id);
CREATE TABLE IF NOT EXISTS sandboxes (
    container_id TEXT PRIMARY KEY,
    doc          TEXT NOT NULL
);
)";

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
    auto db = BERTH_TRY_CTX(sql::Db::open(path), "open network store");
    // synchronous=NORMAL: in WAL mode a crash keeps the database consistent and may only lose
    // the last commits — leases of containers that died with the machine anyway — while a
    // container start stays free of fsync.
    BERTH_TRY_CTX(db->exec("PRAGMA busy_timeout = 10000;"
                           "PRAGMA journal_mode = WAL;"
                           "PRAGMA synchronous = NORMAL;"
                           "PRAGMA foreign_keys = ON;"),
                  "open network store");
    {
        auto tx = BERTH_TRY(sql::Transaction::begin(*db));
        BERTH_TRY_CTX(db->exec(kSchema), "create network tables");
        BERTH_TRY(tx.commit());
    }
    return std::unique_ptr<Store>(new Store(std::move(db)));
}

Result<std::vector<Json>> Store::docs(const char* query) {
    std::lock_guard lk(mu_);
    auto st = BERTH_TRY(db_->prepare(query));
    std::vector<Json> out;
    while (BERTH_TRY(st.step())) {
        auto doc = parse_json(st.text(0));
        if (!doc || !doc->is_object()) return Error::internal("corrupt document in network store");
        out.push_back(std::move(*doc));
    }
    return out;
}

Result<std::vector<Json>> Store::networks() {
    return docs("SELECT doc FROM networks ORDER BY rowid");
}
Result<std::vector<Json>> Store::endpoints() {
    return docs("SELECT doc FROM endpoints ORDER BY rowid");
}
Result<std::vector<Json>> Store::sandboxes() {
    return docs("SELECT doc FROM sandboxes ORDER BY rowid");
}

Result<> Store::put_network(const Json& doc) {
    std::lock_guard lk(mu_);
    auto tx = BERTH_TRY(sql::Transaction::begin(*db_));
    auto st = BERTH_TRY(db_->prepare("INSERT OR REPLACE INTO networks (id, name, doc) VALUES (?, ?, ?)"));
    st.bind(1, doc.value("Id", "")).bind(2, doc.value("Name", "")).bind(3, dump_json(doc));
    BERTH_TRY(st.run());
    return tx.commit();
}

Result<> Store::remove_network(const std::string& id) {
    std::lock_guard lk(mu_);
    auto tx = BERTH_TRY(sql::Transaction::begin(*db_));
    auto st = BERTH_TRY(db_->prepare("DELETE FROM networks WHERE id = ?"));
    st.bind(1, id);
    BERTH_TRY(st.run());
    return tx.commit();
}

Result<> Store::put_sandbox(const Json& sandbox, const std::vector<Json>& endpoints) {
    std::lock_guard lk(mu_);
    auto tx = BERTH_TRY(sql::Transaction::begin(*db_));
    auto sb = BERTH_TRY(db_->prepare("INSERT OR REPLACE INTO sandboxes (container_id, doc) VALUES (?, ?)"));
    sb.bind(1, sandbox.value("ContainerID", "")).bind(2, dump_json(sandbox));
    BERTH_TRY(sb.run());
    for (const auto& ep : endpoints) {
        auto st =
            BERTH_TRY(db_->prepare("INSERT OR REPLACE INTO endpoints (id, network_id, container_id, ip, doc) "
                                   "VALUES (?, ?, ?, ?, ?)"));
        st.bind(1, ep.value("EndpointID", ""))
            .bind(2, ep.value("NetworkID", ""))
            .bind(3, ep.value("ContainerID", ""))
            .bind(4, ep.value("IPAddress", ""))
            .bind(5, dump_json(ep));
        BERTH_TRY(st.run());
    }
    return tx.commit();
}

Result<> Store::remove_endpoint(const std::string& endpoint_id) {
    std::lock_guard lk(mu_);
    auto tx = BERTH_TRY(sql::Transaction::begin(*db_));
    auto st = BERTH_TRY(db_->prepare("DELETE FROM endpoints WHERE id = ?"));
    st.bind(1, endpoint_id);
    BERTH_TRY(st.run());
    return tx.commit();
}

Result<> Store::remove_sandbox(const std::string& container_id) {
    std::lock_guard lk(mu_);
    auto tx = BERTH_TRY(sql::Transaction::begin(*db_));
    for (const char* q :
         {"DELETE FROM endpoints WHERE container_id = ?", "DELETE FROM sandboxes WHERE container_id = ?"}) {
        auto st = BERTH_TRY(db_->prepare(q));
        st.bind(1, container_id);
        BERTH_TRY(st.run());
    }
    return tx.commit();
}

}  // namespace berth::daemon::networks
