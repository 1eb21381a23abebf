// A spec mount's "options" as mount(2) arguments: the words mount(8) knows become flags or
// propagation changes, everything else is filesystem data (OCI runtime spec, "Mounts").
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <array>

#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

struct FlagWord {
    std::string_view word;
    bool clear;  // "rw", "suid"...: undo the flag instead of setting it
    unsigned long flag;
};

constexpr std::array kFlagWords = {
    FlagWord{"defaults", false, 0},
    FlagWord{"ro", false, MS_RDONLY},
    FlagWord{"rw", true, MS_RDONLY},
    FlagWord{"nosuid", false, MS_NOSUID},
    FlagWord{"suid", true, MS_NOSUID},
    FlagWord{"nodev", false, MS_NODEV},
    FlagWord{"dev", true, MS_NODEV},
    FlagWord{"noexec", false, MS_NOEXEC},
    FlagWord{"exec", true, MS_NOEXEC},
    FlagWord{"sync", false, MS_SYNCHRONOUS},
    FlagWord{"async", true, MS_SYNCHRONOUS},
    FlagWord{"dirsync", false, MS_DIRSYNC},
    FlagWord{"remount", false, MS_REMOUNT},
    FlagWord{"mand", false, MS_MANDLOCK},
    FlagWord{"nomand", true, MS_MANDLOCK},
    FlagWord{"atime", true, MS_NOATIME},
    FlagWord{"noatime", false, MS_NOATIME},
    FlagWord{"diratime", true, MS_NODIRATIME},
    FlagWord{"nodiratime", false, MS_NODIRATIME},
    FlagWord{"relatime", false, MS_RELATIME},
    FlagWord{"norelatime", true, MS_RELATIME},
    FlagWord{"strictatime", false, MS_STRICTATIME},
    FlagWord{"nostrictatime", true, MS_STRICTATIME},
    FlagWord{"bind", false, MS_BIND},
    FlagWord{"rbind", false, MS_BIND | MS_REC},
    FlagWord{"silent", false, MS_SILENT},
    FlagWord{"loud", true, MS_SILENT},
    FlagWord{"lazytime", false, MS_LAZYTIME},
    FlagWord{"nolazytime", true, MS_LAZYTIME},
};

struct PropagationWord {
    std::string_view word;
    unsigned long flags;
};

constexpr std::array kPropagationWords = {
    PropagationWord{"private", MS_PRIVATE},       PropagationWord{"rprivate", MS_PRIVATE | MS_REC},
    PropagationWord{"shared", MS_SHARED},         PropagationWord{"rshared", MS_SHARED | MS_REC},
    PropagationWord{"slave", MS_SLAVE},           PropagationWord{"rslave", MS_SLAVE | MS_REC},
    PropagationWord{"unbindable", MS_UNBINDABLE}, PropagationWord{"runbindable", MS_UNBINDABLE | MS_REC},
};

}  // namespace

bool MountOptions::bind() const {
    return (flags & MS_BIND) != 0;
}

std::optional<unsigned long> parse_propagation(std::string_view word) {
    for (const auto& p : kPropagationWords)
        if (p.word == word) return p.flags;
    return std::nullopt;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions out;
    for (const auto& opt : options) {
        bool known = false;
        for (const auto& f : kFlagWords) {
            if (f.word != opt) continue;
            if (f.clear)
                out.flags &= ~f.flag;
            else
                out.flags |= f.flag;
            known = true;
            break;
        }
        if (known) continue;
        if (auto p = parse_propagation(opt)) {
            out.propagation.push_back(*p);
            continue;
        }
        if (opt.empty()) continue;
        if (!out.data.empty()) out.data += ',';
        out.data += opt;
    }
    return out;
}

unsigned long statvfs_to_mount_flags(unsigned long st) {
    // The flags a user namespace locks on a mount it inherited (fs/namespace.c MNT_LOCK_*).
    unsigned long flags = 0;
    if (st & ST_RDONLY) flags |= MS_RDONLY;
    if (st & ST_NOSUID) flags |= MS_NOSUID;
    if (st & ST_NODEV) flags |= MS_NODEV;
    if (st & ST_NOEXEC) flags |= MS_NOEXEC;
    if (st & ST_NOATIME) flags |= MS_NOATIME;
    if (st & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (st & ST_RELATIME) flags |= MS_RELATIME;
    return flags;
}

}  // namespace berth::runtime::rootfs
