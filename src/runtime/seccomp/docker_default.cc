// Docker's default seccomp profile (moby profiles/seccomp), built as an OCI linux.seccomp
// object for the native architecture. Written out as tables, grouped by what the calls do,
// so a reviewer can see what a container may do; the rules that depend on capabilities
// follow Docker: a capability the container holds unlocks the calls it guards.
#include <sched.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <initializer_list>

#include "runtime/seccomp/seccomp.h"

namespace berth::runtime::seccomp {
namespace {

using Names = std::initializer_list<const char*>;

// The tables read better packed than one name per line.
// clang-format off

// Allowed for every container. The 32-bit variants (chown32, fcntl64, *_time64, ...) are
// there for the compat architectures the filter also covers (x86 on x86_64, arm on arm64).
const Names kFiles = {
    "access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "chmod", "fchmod",
    "fchmodat", "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32",
    "umask", "open", "openat", "openat2", "creat", "close", "close_range", "dup", "dup2",
    "dup3", "pipe", "pipe2", "fcntl", "fcntl64", "flock", "read", "readv", "pread64", "preadv",
    "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2", "lseek", "_llseek",
    "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "ioctl", "fsync",
    "fdatasync", "sync", "syncfs", "sync_file_range", "fallocate", "fadvise64", "fadvise64_64",
    "readahead", "truncate", "truncate64", "ftruncate", "ftruncate64", "stat", "stat64",
    "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat", "statx", "statfs",
    "statfs64", "fstatfs", "fstatfs64", "getdents", "getdents64", "link", "linkat", "symlink",
    "symlinkat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat",
    "rmdir", "mknod", "mknodat", "readlink", "readlinkat", "utime", "utimes", "utimensat",
    "utimensat_time64", "futimesat", "name_to_handle_at", "getxattr", "lgetxattr", "fgetxattr",
    "setxattr", "lsetxattr", "fsetxattr", "listxattr", "llistxattr", "flistxattr",
    "removexattr", "lremovexattr", "fremovexattr",
};

const Names kEventsAndAsyncIo = {
    "poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait",
    "epoll_wait_old", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd",
    "signalfd4", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "inotify_init", "inotify_init1", "inotify_add_watch",
    "inotify_rm_watch", "fanotify_mark", "io_setup", "io_destroy", "io_submit", "io_cancel",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "ioprio_get", "ioprio_set",
};

const Names kMemory = {
    "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
    "mlock", "mlock2", "mlockall", "munlock", "munlockall", "remap_file_pages", "membarrier",
    "memfd_create", "memfd_secret", "pkey_alloc", "pkey_free", "pkey_mprotect",
};

const Names kProcesses = {
    "execve", "execveat", "fork", "vfork", "exit", "exit_group", "wait4", "waitid", "waitpid",
    "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "process_mrelease", "getpid",
    "getppid", "gettid", "getpgid", "getpgrp", "setpgid", "getsid", "setsid", "getpriority",
    "setpriority", "getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "times",
    "prctl", "capget", "capset", "seccomp", "set_tid_address", "set_robust_list",
    "get_robust_list", "rseq", "restart_syscall", "futex", "futex_time64", "futex_waitv",
    "get_thread_area", "set_thread_area", "getcpu", "getrandom", "uname", "sysinfo",
    "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "sched_yield",
    "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
    "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
    "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
};

const Names kSignals = {
    "rt_sigaction", "rt_sigprocmask", "rt_sigpending", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "sigaltstack",
    "sigprocmask", "sigreturn", "pause", "alarm",
};

const Names kTime = {
    "time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres",
    "clock_getres_time64", "clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "adjtimex",
    "clock_adjtime", "clock_adjtime64", "getitimer", "setitimer", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64",
};

// Changing ids inside the container is governed by CAP_SETUID/CAP_SETGID, not seccomp.
const Names kIdentity = {
    "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
    "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32",
    "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid",
    "setregid32", "setresuid", "setresuid32", "setresgid", "setresgid32", "setgroups",
    "setgroups32", "setfsuid", "setfsuid32", "setfsgid", "setfsgid32",
};

// socket(2) itself is allowed below with a condition (no AF_VSOCK).
const Names kNetwork = {
    "socketpair", "bind", "listen", "accept", "accept4", "connect", "shutdown", "getsockname",
    "getpeername", "getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg", "recv",
    "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "socketcall",
};

const Names kIpc = {
    "ipc", "msgget", "msgctl", "msgsnd", "msgrcv", "semget", "semctl", "semop", "semtimedop",
    "semtimedop_time64", "shmget", "shmctl", "shmat", "shmdt", "mq_open", "mq_unlink",
    "mq_getsetattr", "mq_notify", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
    "mq_timedreceive_time64",
};

// Calls only a container holding the capability may make (Docker's "includes.caps").
struct CapRule {
    const char* cap;
    Names names;
};

const CapRule kCapRules[] = {
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_ADMIN",
     {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
      "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
      "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
      "umount2", "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE",
     {"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
      "pidfd_getfd"}},
    {"CAP_SYS_RAWIO", {"ioperm", "iopl"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"mbind", "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

// clang-format on

Json names_json(Names names) {
    Json out = Json::array();
    for (const char* n : names) out.push_back(n);
    return out;
}

Json allow(Names names) {
    return Json{{"names", names_json(names)}, {"action", "SCMP_ACT_ALLOW"}};
}

Json allow_if_arg(const char* name, unsigned index, uint64_t value, uint64_t value_two, const char* op) {
    Json rule = allow({name});
    rule["args"] =
        Json::array({Json{{"index", index}, {"value", value}, {"valueTwo", value_two}, {"op", op}}});
    return rule;
}

// Since 4.8 the kernel checks seccomp again after ptrace changes a syscall, so ptrace can
// no longer be used to escape the filter: Docker allows it to everyone from that version.
bool kernel_at_least(int major, int minor) {
    struct utsname u;
    if (::uname(&u) != 0) return false;
    int ma = 0, mi = 0;
    if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
    return ma > major || (ma == major && mi >= minor);
}

}  // namespace

Json docker_default_profile(const std::vector<std::string>& effective_caps) {
    auto has_cap = [&](const std::string& cap) {
        return std::find(effective_caps.begin(), effective_caps.end(), cap) != effective_caps.end();
    };

    Json syscalls = Json::array();
    for (Names group :
         {kFiles, kEventsAndAsyncIo, kMemory, kProcesses, kSignals, kTime, kIdentity, kNetwork, kIpc})
        syscalls.push_back(allow(group));
    if (kernel_at_least(4, 8)) syscalls.push_back(allow({"ptrace", "process_vm_readv", "process_vm_writev"}));

    // Every socket family except vsock (host <-> VM channels).
    syscalls.push_back(allow_if_arg("socket", 0, AF_VSOCK, 0, "SCMP_CMP_NE"));
    // personality(2): only the Linux personalities and the query (0xffffffff), so a
    // container cannot turn on e.g. READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE.
    for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL})
        syscalls.push_back(allow_if_arg("personality", 0, persona, 0, "SCMP_CMP_EQ"));

    Json architectures = Json::array();
#if defined(__x86_64__)
    architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    syscalls.push_back(allow({"arch_prctl", "modify_ldt"}));
#elif defined(__aarch64__)
    architectures = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
    syscalls.push_back(allow({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                              "cacheflush", "set_tls"}));
#endif

    for (const auto& rule : kCapRules)
        if (has_cap(rule.cap)) syscalls.push_back(allow(rule.names));

    if (!has_cap("CAP_SYS_ADMIN")) {
        // clone(2) without any namespace flag (threads, fork) stays allowed. The flags are
        // argument 0 everywhere but s390, which we do not build for.
        constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                             CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
        syscalls.push_back(allow_if_arg("clone", 0, kNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"));
        // clone3 passes its flags in memory, which seccomp cannot read: ENOSYS makes glibc
        // fall back to clone(2), which the rule above can check.
        syscalls.push_back(Json{{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}});
    }

    return Json{{"defaultAction", "SCMP_ACT_ERRNO"},
                {"defaultErrnoRet", EPERM},
                {"architectures", architectures},
                {"syscalls", syscalls}};
}

}  // namespace berth::runtime::seccomp
