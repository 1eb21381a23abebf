// Firewall over libnftables (see firewall.h); the command text comes from ruleset.cc.
#include "hostnet/firewall.h"

#include <malloc.h>

#include <nftables/libnftables.h>

#include "common/log.h"
#include "hostnet/ruleset.h"

namespace berth::hostnet {
namespace {

std::string trim_nl(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// One libnftables context per command buffer. A context kept alive holds its cache of the
// ruleset, the parser's state and the symbol tables it reads at creation (~2.5 MB of heap
// for a daemon that is mostly idle); a new one costs well under a millisecond.
struct Context {
    nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    Context() = default;
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    ~Context() {
        if (!ctx) return;
        nft_ctx_free(ctx);
        // Give the freed heap back to the system instead of keeping it in malloc's free lists.
        malloc_trim(0);
    }
};

}  // namespace

Firewall::Firewall(std::string table) : table_(std::move(table)) {}

Firewall::~Firewall() = default;

Result<std::unique_ptr<Firewall>> Firewall::open(const std::string& table) {
    BERTH_TRY(ruleset::check_table_name(table));
    std::unique_ptr<Firewall> fw(new Firewall(table));
    BERTH_TRY_CTX(fw->run(ruleset::base(table)), "set up nftables table ip " + table);
    return fw;
}

Result<std::string> Firewall::run(const std::string& commands, bool json) {
    if (commands.empty()) return std::string();
    Context c;
    if (!c.ctx) return Error::internal("nftables: cannot create a context");
    if (nft_ctx_buffer_output(c.ctx) != 0 || nft_ctx_buffer_error(c.ctx) != 0)
        return Error::internal("nftables: cannot buffer output");
    nft_ctx_output_set_flags(c.ctx, json ? (NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE) : 0);
    int rc = nft_run_cmd_from_buffer(c.ctx, commands.c_str());
    const char* out = nft_ctx_get_output_buffer(c.ctx);
    const char* err = nft_ctx_get_error_buffer(c.ctx);
    std::string out_text = out ? out : "";
    if (rc != 0) {
        std::string msg = trim_nl(err ? err : "");
        if (msg.empty()) msg = "failed";
        // libnftables reports the kernel's errno only as text.
        ErrorKind kind = ErrorKind::Internal;
        if (msg.find("File exists") != std::string::npos)
            kind = ErrorKind::Conflict;
        else if (msg.find("No such file or directory") != std::string::npos)
            kind = ErrorKind::NotFound;
        else if (msg.find("Operation not permitted") != std::string::npos)
            kind = ErrorKind::PermissionDenied;
        return Error(kind, "nftables: " + msg);
    }
    return out_text;
}

Result<std::string> Firewall::delete_commands(const std::string& bridge) {
    std::string del;
    for (const char* family : {"ip", "bridge"}) {
        const std::string what = std::string("list table ") + family + " " + table_;
        std::string listing = BERTH_TRY_CTX(run(what, true), what);
        del += BERTH_TRY(ruleset::delete_bridge_rules(table_, bridge, listing));
    }
    return del;
}

Result<> Firewall::add_bridge(const BridgeRules& rules) {
    std::lock_guard lock(mu_);
    std::string add = BERTH_TRY(ruleset::bridge_rules(table_, rules));
    std::string del = BERTH_TRY(delete_commands(rules.bridge));
    // Old rules out and new ones in, in one transaction: no moment without NAT.
    BERTH_TRY_CTX(run(del + add), "add rules of bridge " + rules.bridge);
    return ok();
}

Result<> Firewall::remove_bridge(const BridgeRules& rules) {
    std::lock_guard lock(mu_);
    std::string del = BERTH_TRY(delete_commands(rules.bridge));
    BERTH_TRY_CTX(run(del), "remove rules of bridge " + rules.bridge);
    return ok();
}

Result<> Firewall::add_ports(const std::vector<PortMapping>& ports) {
    std::string cmds = BERTH_TRY(ruleset::port_elements(table_, ports, true));
    std::lock_guard lock(mu_);
    auto r = run(cmds);
    if (!r) {
        Error e = r.error();
        if (e.kind() == ErrorKind::Conflict)
            return Error::conflict("publish ports: a host port is already mapped (" + e.message() + ")");
        return std::move(e).with_context("publish ports");
    }
    return ok();
}

Result<> Firewall::remove_ports(const std::vector<PortMapping>& ports) {
    std::string cmds = BERTH_TRY(ruleset::port_elements(table_, ports, false));
    std::lock_guard lock(mu_);
    if (run(cmds)) return ok();
    // Some key was missing (the whole batch failed): remove one by one, ignoring misses.
    for (const PortMapping& p : ports) {
        std::string one = BERTH_TRY(ruleset::port_elements(table_, {p}, false));
        auto r = run(one);
        if (!r && r.error().kind() != ErrorKind::NotFound)
            return std::move(r).error().with_context("unpublish ports");
    }
    return ok();
}

Result<> Firewall::destroy() {
    std::lock_guard lock(mu_);
    // "add" first so that deleting a table that is already gone is not an error.
    BERTH_TRY_CTX(run("add table ip " + table_ + "\ndelete table ip " + table_ + "\nadd table bridge " +
                      table_ + "\ndelete table bridge " + table_ + "\n"),
                  "delete table " + table_);
    return ok();
}

}  // namespace berth::hostnet
