// linux.seccomp compiled to a BPF program with libseccomp, and loaded with seccomp(2).
//
// compile() does all the work libseccomp does (name resolution, rule merging, BPF
// generation) and keeps only the program: load() is then one system call, with no
// allocation, which matters in a child cloned from a multi-threaded shim (a raw clone does
// not reset malloc's locks) and keeps container start cheap.
#include "runtime/seccomp/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fd.h"
#include "runtime/seccomp/filter_impl.h"

namespace berth::runtime::seccomp {
namespace {

struct NamedValue {
    const char* name;
    uint32_t value;
};

constexpr NamedValue kArches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

constexpr NamedValue kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

struct FlagInfo {
    const char* name;
    scmp_filter_attr attr;  // set on the libseccomp context: it checks kernel support
    unsigned kernel_flag;   // passed to seccomp(2) by load()
};

constexpr FlagInfo kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

// ERRNO and TRACE carry a 16-bit value; without errnoRet, runc uses EPERM for both.
constexpr unsigned kDefaultErrno = EPERM;

const NamedValue* find(const NamedValue* begin, const NamedValue* end, const std::string& name) {
    for (auto* it = begin; it != end; ++it)
        if (name == it->name) return it;
    return nullptr;
}

Result<uint32_t> parse_action(const std::string& name, const std::optional<unsigned>& errno_ret,
                              const std::string& field) {
    unsigned err = errno_ret.value_or(kDefaultErrno);
    if (errno_ret && *errno_ret > 0xffff)
        return Error::invalid(field + ": errno " + std::to_string(*errno_ret) + " does not fit in 16 bits");
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(err);
    if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(err);
    if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_NOTIFY")
        return Error::unsupported(field +
                                  ": SCMP_ACT_NOTIFY needs a seccomp agent "
                                  "(listenerPath), which berth does not support yet");
    return Error::invalid(field + ": unknown action \"" + name + "\"");
}

Error libseccomp_error(int rc, const std::string& what) {
    // libseccomp returns -errno; keep it so callers can branch on it.
    return Error::sys(what, {}, rc < 0 ? -rc : EINVAL);
}

struct CtxDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Result<> add_architectures(scmp_filter_ctx ctx, const spec::Seccomp& profile) {
    for (size_t i = 0; i < profile.architectures.size(); ++i) {
        const auto& name = profile.architectures[i];
        std::string field = "linux.seccomp.architectures[" + std::to_string(i) + "]";
        auto* arch = find(std::begin(kArches), std::end(kArches), name);
        if (!arch) return Error::invalid(field + ": unknown architecture \"" + name + "\"");
        int rc = seccomp_arch_add(ctx, arch->value);
        // The native architecture is in every new filter already.
        if (rc < 0 && rc != -EEXIST) return libseccomp_error(rc, field + ": add " + name);
    }
    return ok();
}

Result<unsigned> set_flags(scmp_filter_ctx ctx, const spec::Seccomp& profile) {
    unsigned kernel_flags = 0;
    for (size_t i = 0; i < profile.flags.size(); ++i) {
        const auto& name = profile.flags[i];
        std::string field = "linux.seccomp.flags[" + std::to_string(i) + "]";
        const FlagInfo* flag = nullptr;
        for (const auto& f : kFlags)
            if (name == f.name) flag = &f;
        if (!flag) return Error::invalid(field + ": unknown flag \"" + name + "\"");
        int rc = seccomp_attr_set(ctx, flag->attr, 1);
        if (rc < 0) return libseccomp_error(rc, field + ": " + name + " is not supported by this kernel");
        kernel_flags |= flag->kernel_flag;
    }
    return kernel_flags;
}

// The argument conditions of one syscall entry; an unknown operator is an error naming it.
Result<std::vector<scmp_arg_cmp>> parse_conditions(const spec::SeccompSyscall& call,
                                                   const std::string& field) {
    std::vector<scmp_arg_cmp> conds;
    for (size_t k = 0; k < call.args.size(); ++k) {
        const auto& a = call.args[k];
        std::string arg_field = field + ".args[" + std::to_string(k) + "]";
        auto* op = find(std::begin(kOperators), std::end(kOperators), a.op);
        if (!op) return Error::invalid(arg_field + ".op: unknown operator \"" + a.op + "\"");
        if (a.index > 5) return Error::invalid(arg_field + ".index: must be 0..5");
        conds.push_back({a.index, static_cast<scmp_compare>(op->value), a.value, a.value_two});
    }
    return conds;
}

// One syscall entry: each name it lists gets the same action and conditions. libseccomp
// ANDs the conditions of a rule and refuses two on one argument, so when an argument
// appears twice every condition becomes a rule of its own (runc does the same).
Result<> add_syscall(scmp_filter_ctx ctx, const spec::SeccompSyscall& call, uint32_t action,
                     const std::vector<scmp_arg_cmp>& conds, const std::string& field) {
    bool repeated_index = false;
    unsigned seen = 0;
    for (const auto& c : conds) {
        if (seen & (1u << c.arg)) repeated_index = true;
        seen |= 1u << c.arg;
    }
    for (const auto& name : call.names) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        // A name this libseccomp does not know (newer, or a typo) is skipped, as runc does:
        // the default action then applies to it.
        if (nr == __NR_SCMP_ERROR) continue;
        int rc = 0;
        if (!repeated_index) {
            rc = seccomp_rule_add_array(ctx, action, nr, conds.size(), conds.data());
        } else {
            for (const auto& c : conds)
                if ((rc = seccomp_rule_add_array(ctx, action, nr, 1, &c)) < 0) break;
        }
        if (rc < 0) return libseccomp_error(rc, field + ": add rule for \"" + name + "\"");
    }
    return ok();
}

// The generated BPF, read back from a memfd (libseccomp 2.5 exports only to an fd).
Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
    UniqueFd fd(::memfd_create("berth-seccomp", MFD_CLOEXEC));
    if (!fd) return Error::sys("memfd_create");
    int rc = seccomp_export_bpf(ctx, fd.get());
    if (rc < 0) return libseccomp_error(rc, "generate the seccomp program");
    off_t size = ::lseek(fd.get(), 0, SEEK_END);
    if (size < 0) return Error::sys("lseek seccomp program");
    if (size == 0 || size % sizeof(sock_filter) != 0)
        return Error::internal("seccomp program has a bad size: " + std::to_string(size));
    std::vector<sock_filter> prog(size / sizeof(sock_filter));
    ssize_t n = ::pread(fd.get(), prog.data(), size, 0);
    if (n < 0) return Error::sys("read seccomp program");
    if (n != size) return Error::internal("short read of the seccomp program");
    return prog;
}

}  // namespace

Filter::Filter() = default;
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

std::string Filter::program_bytes() const {
    if (empty()) return {};
    return std::string(reinterpret_cast<const char*>(impl_->program.data()),
                       impl_->program.size() * sizeof(sock_filter));
}

bool Filter::empty() const {
    return !impl_ || impl_->program.empty();
}

Result<Filter> Filter::compile(const spec::Seccomp& profile) {
    uint32_t default_action = BERTH_TRY(
        parse_action(profile.default_action, profile.default_errno_ret, "linux.seccomp.defaultAction"));
    Ctx ctx(seccomp_init(default_action));
    if (!ctx) return Error::internal("seccomp_init failed (is the default action supported?)");
    // The runtime sets no_new_privs itself, and only when the spec asks for it.
    int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
    if (rc < 0) return libseccomp_error(rc, "seccomp_attr_set NNP");
    BERTH_TRY(add_architectures(ctx.get(), profile));
    unsigned flags = BERTH_TRY(set_flags(ctx.get(), profile));

    for (size_t i = 0; i < profile.syscalls.size(); ++i) {
        const auto& call = profile.syscalls[i];
        std::string field = "linux.seccomp.syscalls[" + std::to_string(i) + "]";
        uint32_t action = BERTH_TRY(parse_action(call.action, call.errno_ret, field + ".action"));
        auto conds = BERTH_TRY(parse_conditions(call, field));
        // libseccomp refuses a rule that repeats the default action; it is a no-op anyway.
        if (action == default_action) continue;
        BERTH_TRY(add_syscall(ctx.get(), call, action, conds, field));
    }

    Filter f;
    f.impl_ = std::make_unique<Impl>();
    f.impl_->program = BERTH_TRY(export_program(ctx.get()));
    f.impl_->flags = flags;
    return f;
}

Result<> Filter::load() const {
    if (empty()) return ok();
    sock_fprog prog = {};
    prog.len = static_cast<unsigned short>(impl_->program.size());
    prog.filter = impl_->program.data();
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, impl_->flags, &prog);
    if (rc < 0 && errno == ENOSYS && impl_->flags == 0)
        rc = ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    if (rc < 0) {
        if (errno == EACCES)
            return Error::sys(
                "seccomp(SECCOMP_SET_MODE_FILTER) (needs no_new_privs or "
                "CAP_SYS_ADMIN)");
        return Error::sys("seccomp(SECCOMP_SET_MODE_FILTER)");
    }
    // With TSYNC, a positive result is the id of a thread that could not be synchronised.
    if (rc > 0)
        return Error::internal("seccomp: thread " + std::to_string(rc) +
                               " could not be synchronised (SECCOMP_FILTER_FLAG_TSYNC)");
    return ok();
}

std::vector<std::string> known_actions() {
    return {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
            "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG"};
}

std::vector<std::string> known_operators() {
    std::vector<std::string> out;
    for (const auto& o : kOperators) out.push_back(o.name);
    return out;
}

std::vector<std::string> known_architectures() {
    std::vector<std::string> out;
    for (const auto& a : kArches) out.push_back(a.name);
    return out;
}

std::vector<std::string> known_flags() {
    std::vector<std::string> out;
    for (const auto& f : kFlags) out.push_back(f.name);
    return out;
}

}  // namespace berth::runtime::seccomp
