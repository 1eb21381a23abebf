// Tests for capabilities: names and validation (no root), and the sets applied in a forked
// child, checked against /proc/self/status (root: needs CAP_SETPCAP and setuid).
#include "runtime/caps/caps.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "support/support.h"

namespace berth::runtime::caps {
namespace {

using berth::test::run_in_child;

// CapInh/CapPrm/CapEff/CapBnd/CapAmb of the calling process.
std::map<std::string, uint64_t> proc_caps() {
    std::map<std::string, uint64_t> out;
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Cap", 0) == 0 && line.size() > 8 && line[6] == ':')
            out[line.substr(0, 6)] = std::stoull(line.substr(7), nullptr, 16);
    return out;
}

uint64_t mask(const std::vector<std::string>& names) {
    uint64_t m = 0;
    for (auto& n : names) m |= uint64_t{1} << *capability_from_name(n);
    return m;
}

int last_cap() {
    std::ifstream in("/proc/sys/kernel/cap_last_cap");
    int v = -1;
    in >> v;
    return v;
}

std::string hex(uint64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

TEST(Caps, NamesRoundTrip) {
    EXPECT_EQ(capability_from_name("CAP_CHOWN"), 0);
    EXPECT_EQ(capability_from_name("CAP_NET_BIND_SERVICE"), 10);
    EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), 21);
    EXPECT_EQ(capability_from_name("CAP_CHECKPOINT_RESTORE"), 40);
    EXPECT_FALSE(capability_from_name("CAP_FOO"));
    EXPECT_FALSE(capability_from_name("cap_chown"));
    EXPECT_FALSE(capability_from_name("CHOWN"));
    EXPECT_FALSE(capability_from_name("CAP_"));
    EXPECT_FALSE(capability_from_name("CAP_12"));
    EXPECT_FALSE(capability_from_name("12"));
}

TEST(Caps, KnownCapabilitiesFollowTheKernel) {
    auto known = known_capabilities();
    ASSERT_EQ(static_cast<int>(known.size()), last_cap() + 1);
    EXPECT_EQ(known[0], "CAP_CHOWN");
    EXPECT_EQ(known[21], "CAP_SYS_ADMIN");
    for (size_t i = 0; i < known.size(); ++i) {
        EXPECT_EQ(known[i].rfind("CAP_", 0), 0u) << known[i];
        EXPECT_EQ(capability_from_name(known[i]), static_cast<int>(i)) << known[i];
    }
}

TEST(Caps, ValidateNamesFieldAndCapability) {
    spec::Capabilities c;
    c.bounding = {"CAP_CHOWN", "CAP_KILL"};
    c.effective = {"CAP_CHOWN"};
    EXPECT_TRUE(validate(c));

    c.ambient = {"CAP_KILL", "CAP_FOO"};
    auto r = validate(c);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(r.error().str(), "process.capabilities.ambient: unknown capability \"CAP_FOO\"");

    c.ambient.clear();
    c.permitted = {"CAP_chown"};
    r = validate(c);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().str(), "process.capabilities.permitted: unknown capability \"CAP_chown\"");
}

// runc's order: bounding (needs CAP_SETPCAP), keepcaps, setuid, then the other sets.
std::string apply_all(const spec::Capabilities& c, uid_t uid) {
    if (auto r = apply_bounding(c); !r) return "bounding: " + r.error().str();
    if (auto r = keep_caps_across_setuid(); !r) return "keepcaps: " + r.error().str();
    if (uid != 0 && (::setresgid(uid, uid, uid) != 0 || ::setresuid(uid, uid, uid) != 0))
        return "setuid failed";
    if (auto r = apply_sets(c); !r) return "sets: " + r.error().str();
    auto got = proc_caps();
    std::string out;
    auto check = [&](const char* key, const std::vector<std::string>& want) {
        if (got[key] != mask(want))
            out += std::string(key) + " " + hex(got[key]) + " want " + hex(mask(want)) + "; ";
    };
    check("CapBnd", c.bounding);
    check("CapEff", c.effective);
    check("CapPrm", c.permitted);
    check("CapInh", c.inheritable);
    check("CapAmb", c.ambient);
    return out.empty() ? "ok" : out;
}

spec::Capabilities sample() {
    spec::Capabilities c;
    c.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"};
    c.permitted = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    c.effective = {"CAP_CHOWN", "CAP_KILL"};
    c.inheritable = {"CAP_NET_BIND_SERVICE"};
    c.ambient = {"CAP_NET_BIND_SERVICE"};
    return c;
}

TEST(CapsRoot, ApplyAsRoot) {
    BERTH_REQUIRE_ROOT();
    EXPECT_EQ(run_in_child([] { return apply_all(sample(), 0); }), "ok");
}

TEST(CapsRoot, ApplyAcrossSetuid) {
    BERTH_REQUIRE_ROOT();
    EXPECT_EQ(run_in_child([] { return apply_all(sample(), 65534); }), "ok");
}

TEST(CapsRoot, EmptySetsDropEverything) {
    BERTH_REQUIRE_ROOT();
    EXPECT_EQ(run_in_child([] { return apply_all(spec::Capabilities{}, 0); }), "ok");
}

TEST(CapsRoot, AmbientNotInheritableIsAnError) {
    BERTH_REQUIRE_ROOT();
    std::string out = run_in_child([] {
        auto c = sample();
        c.ambient = {"CAP_KILL"};  // permitted but not inheritable
        auto r = apply_sets(c);
        return r ? std::string("applied") : r.error().str();
    });
    EXPECT_NE(out.find("raise ambient CAP_KILL"), std::string::npos) << out;
}

TEST(CapsRoot, PermittedBeyondCurrentFails) {
    BERTH_REQUIRE_ROOT();
    std::string out = run_in_child([] {
        spec::Capabilities c;
        c.permitted = {"CAP_CHOWN"};
        if (auto r = apply_sets(c); !r) return "first: " + r.error().str();
        c.permitted = {"CAP_CHOWN", "CAP_KILL"};  // cannot grow the permitted set back
        auto r = apply_sets(c);
        return r ? std::string("applied") : r.error().str();
    });
    EXPECT_NE(out.find("cap_set_proc"), std::string::npos) << out;
    EXPECT_NE(out.find("EPERM"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::runtime::caps
