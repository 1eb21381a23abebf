// Private: runs a piece of work inside another network namespace on a short-lived thread,
// so the daemon's own threads never change namespace. Sockets created there stay bound to
// that namespace after the thread ends (netlink sockets, the DNS server's listeners).
#pragma once

#include <functional>
#include <string>

#include "common/error.h"

namespace berth::hostnet {

// Opens netns_path ("/proc/<pid>/ns/net", "/run/netns/x"), joins it on a new thread, runs
// fn there and returns its result.
Result<> run_in_netns(const std::string& netns_path, const std::function<Result<>()>& fn);

}  // namespace berth::hostnet
