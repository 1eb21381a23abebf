// Private to daemon/network: the service's state in berth.db. Three tables of JSON
// documents keyed the way they are looked up; every change is one transaction, and the
// UNIQUE constraints make a double lease impossible even if the service's memory were wrong.
//   networks  (id, name UNIQUE, doc)                 Docker's network object
//   endpoints (id, network_id, container_id, ip, doc) UNIQUE(network_id, ip) = the lease
//   sandboxes (container_id, doc)                    published ports, netns, hostname
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "common/sqlite.h"

namespace berth::daemon::networks {

class Store {
public:
    static Result<std::unique_ptr<Store>> open(const std::string& path);

    Result<std::vector<Json>> networks();
    Result<> put_network(const Json& doc);  // doc["Id"], doc["Name"]
    Result<> remove_network(const std::string& id);

    // Endpoint docs carry NetworkID, ContainerID, IPAddress (Docker's EndpointSettings
    // fields) and the service's own keys.
    Result<std::vector<Json>> endpoints();
    Result<std::vector<Json>> sandboxes();  // doc["ContainerID"]

    // A sandbox and its endpoints, written together (join, connect).
    Result<> put_sandbox(const Json& sandbox, const std::vector<Json>& endpoints);
    Result<> remove_endpoint(const std::string& endpoint_id);
    // The sandbox and every endpoint of the container.
    Result<> remove_sandbox(const std::string& container_id);

private:
    explicit Store(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}
    Result<std::vector<Json>> docs(const char* query);
    std::unique_ptr<sql::Db> db_;
    // One connection serves every thread: SQLite serialises calls, not transactions, so
    // each method holds this for its whole transaction.
    std::mutex mu_;
};

}  // namespace berth::daemon::networks
