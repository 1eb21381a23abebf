// Capabilities (process.capabilities) through libcap: names, validation, the bounding set
// (prctl), the three classic sets (cap_set_proc) and the ambient set (prctl).
#include "runtime/caps/caps.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "common/file.h"

namespace berth::runtime::caps {
namespace {

// The kernel's names (linux/capability.h), for capabilities an older libcap does not
// know by name: cap_to_name() gives those back as bare numbers.
constexpr const char* kKernelNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kKernelNamesCount = sizeof(kKernelNames) / sizeof(kKernelNames[0]);

// The highest capability the running kernel supports. /proc/sys/kernel/cap_last_cap is
// the documented source; without /proc, probe the bounding set (EINVAL past the end).
int last_cap() {
    static const int value = [] {
        auto text = read_file("/proc/sys/kernel/cap_last_cap");
        if (text) {
            char* end = nullptr;
            long v = std::strtol(text->c_str(), &end, 10);
            if (end != text->c_str() && v >= 0 && v < 64) return static_cast<int>(v);
        }
        int n = 0;
        while (n < 63 && ::prctl(PR_CAPBSET_READ, n + 1, 0, 0, 0) >= 0) ++n;
        return n;
    }();
    return value;
}

std::string name_of(int cap) {
    if (char* raw = cap_to_name(static_cast<cap_value_t>(cap))) {
        std::string n(raw);
        cap_free(raw);
        // libcap answers "cap_chown" for known caps and "41" for ones it lacks a name for.
        if (!n.empty() && !std::isdigit(static_cast<unsigned char>(n[0]))) {
            for (auto& ch : n) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            return n;
        }
    }
    if (cap >= 0 && cap < kKernelNamesCount) return kKernelNames[cap];
    return "CAP_" + std::to_string(cap);
}

// The names in one set as a bit mask; the error names the field and the bad name.
Result<uint64_t> mask_of(const std::vector<std::string>& names, const char* field) {
    uint64_t mask = 0;
    for (const auto& name : names) {
        auto cap = capability_from_name(name);
        if (!cap)
            return Error::invalid(std::string("process.capabilities.") + field + ": unknown capability \"" +
                                  name + "\"");
        if (*cap > last_cap())
            return Error::invalid(std::string("process.capabilities.") + field + ": capability \"" + name +
                                  "\" is not supported by this kernel (last is " + name_of(last_cap()) + ")");
        mask |= uint64_t{1} << *cap;
    }
    return mask;
}

Result<> set_flags(cap_t state, cap_flag_t flag, uint64_t mask) {
    for (int cap = 0; cap <= last_cap(); ++cap) {
        if (!(mask & (uint64_t{1} << cap))) continue;
        cap_value_t v = cap;
        if (cap_set_flag(state, flag, 1, &v, CAP_SET) != 0) return Error::sys("cap_set_flag " + name_of(cap));
    }
    return ok();
}

}  // namespace

std::optional<int> capability_from_name(const std::string& name) {
    // OCI names are upper case with the CAP_ prefix; refuse libcap's other spellings
    // (lower case, bare numbers) so a config means the same under runc and crun.
    if (name.size() <= 4 || name.compare(0, 4, "CAP_") != 0) return std::nullopt;
    for (char ch : name)
        if (!std::isupper(static_cast<unsigned char>(ch)) && ch != '_' &&
            !std::isdigit(static_cast<unsigned char>(ch)))
            return std::nullopt;
    if (std::isdigit(static_cast<unsigned char>(name[4]))) return std::nullopt;

    std::string lower = name;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    cap_value_t v = 0;
    if (cap_from_name(lower.c_str(), &v) == 0 && v >= 0 && v < 64) return static_cast<int>(v);
    for (int cap = 0; cap < kKernelNamesCount; ++cap)
        if (name == kKernelNames[cap]) return cap;
    return std::nullopt;
}

std::vector<std::string> known_capabilities() {
    std::vector<std::string> out;
    for (int cap = 0; cap <= last_cap(); ++cap) out.push_back(name_of(cap));
    return out;
}

Result<> validate(const spec::Capabilities& caps) {
    BERTH_TRY(mask_of(caps.bounding, "bounding"));
    BERTH_TRY(mask_of(caps.effective, "effective"));
    BERTH_TRY(mask_of(caps.inheritable, "inheritable"));
    BERTH_TRY(mask_of(caps.permitted, "permitted"));
    BERTH_TRY(mask_of(caps.ambient, "ambient"));
    return ok();
}

Result<> keep_caps_across_setuid() {
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::sys("prctl PR_SET_KEEPCAPS");
    return ok();
}

Result<> apply_bounding(const spec::Capabilities& caps) {
    uint64_t keep = BERTH_TRY(mask_of(caps.bounding, "bounding"));
    for (int cap = 0; cap <= last_cap(); ++cap) {
        if (keep & (uint64_t{1} << cap)) continue;
        int in_set = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_set < 0) return Error::sys("prctl PR_CAPBSET_READ " + name_of(cap));
        if (in_set == 0) continue;  // already gone (a parent dropped it)
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            return Error::sys("drop " + name_of(cap) + " from the bounding set (needs CAP_SETPCAP)");
    }
    return ok();
}

Result<> apply_sets(const spec::Capabilities& caps) {
    uint64_t effective = BERTH_TRY(mask_of(caps.effective, "effective"));
    uint64_t permitted = BERTH_TRY(mask_of(caps.permitted, "permitted"));
    uint64_t inheritable = BERTH_TRY(mask_of(caps.inheritable, "inheritable"));
    uint64_t ambient = BERTH_TRY(mask_of(caps.ambient, "ambient"));

    cap_t state = cap_init();
    if (!state) return Error::sys("cap_init");
    BERTH_TRY(set_flags(state, CAP_EFFECTIVE, effective));
    BERTH_TRY(set_flags(state, CAP_PERMITTED, permitted));
    BERTH_TRY(set_flags(state, CAP_INHERITABLE, inheritable));
    int rc = cap_set_proc(state);
    int err = errno;
    cap_free(state);
    if (rc != 0)
        return Error::sys("set effective/permitted/inheritable capabilities (cap_set_proc)", {}, err);

    // Ambient caps must be permitted and inheritable already (capabilities(7)); clearing
    // first makes the set exactly what the spec lists, whatever the parent left.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
        // Kernels before 4.3 have no ambient set: fine as long as none is asked for.
        if (errno == EINVAL && ambient == 0) return ok();
        return Error::sys("prctl PR_CAP_AMBIENT_CLEAR_ALL");
    }
    for (int cap = 0; cap <= last_cap(); ++cap) {
        if (!(ambient & (uint64_t{1} << cap))) continue;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
            return Error::sys("raise ambient " + name_of(cap) +
                              " (it must be in the permitted and inheritable sets too)");
    }
    return ok();
}

}  // namespace berth::runtime::caps
