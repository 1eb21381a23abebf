// The compiled-program cache of Filter::compile_cached (see seccomp.h).
//
// An entry is <cache_dir>/<fnv64 of the key>.bpf:
//     "berth-bpf 1\n" <key length> "\n" <key> <flags u32> <instruction count u32>
//     <fnv64 of the program, u64> <program>
// The key is the whole profile written out plus libseccomp's version and the kernel
// release (libseccomp's output depends on both), and is compared in full on read: a hash
// collision or a torn write can only cost a recompilation, never load another program.
#include <linux/filter.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "runtime/seccomp/filter_impl.h"

namespace berth::runtime::seccomp {

namespace {

constexpr char kMagic[] = "berth-bpf 1\n";

uint64_t fnv64(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

std::string key_of(const spec::Seccomp& p) {
    const scmp_version* v = seccomp_version();
    struct utsname u {};
    uname(&u);
    std::string k = "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                    std::to_string(v->micro) + "\nkernel " + u.release + "\n" + p.default_action + " " +
                    (p.default_errno_ret ? std::to_string(*p.default_errno_ret) : "-") + "\n";
    for (auto& a : p.architectures) k += a + " ";
    k += "\n";
    for (auto& f : p.flags) k += f + " ";
    k += "\n" + p.listener_path + "\n";
    for (auto& c : p.syscalls) {
        for (auto& n : c.names) k += n + ",";
        k += " " + c.action + " " + (c.errno_ret ? std::to_string(*c.errno_ret) : "-");
        for (auto& a : c.args)
            k += " " + std::to_string(a.index) + ":" + std::to_string(a.value) + ":" +
                 std::to_string(a.value_two) + ":" + a.op;
        k += "\n";
    }
    return k;
}

template <typename T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
bool take(std::string_view& in, T* v) {
    if (in.size() < sizeof *v) return false;
    memcpy(v, in.data(), sizeof *v);
    in.remove_prefix(sizeof *v);
    return true;
}

}  // namespace

// Private access to Filter's program (a friend of Filter).
class Cache {
public:
    static bool decode(std::string_view in, const std::string& key, Filter* out) {
        if (in.substr(0, sizeof kMagic - 1) != kMagic) return false;
        in.remove_prefix(sizeof kMagic - 1);
        auto nl = in.find('\n');
        if (nl == std::string_view::npos) return false;
        size_t key_len = strtoull(std::string(in.substr(0, nl)).c_str(), nullptr, 10);
        in.remove_prefix(nl + 1);
        if (key_len != key.size() || in.substr(0, key_len) != key) return false;
        in.remove_prefix(key_len);
        uint32_t flags = 0, count = 0;
        uint64_t sum = 0;
        if (!take(in, &flags) || !take(in, &count) || !take(in, &sum)) return false;
        if (count == 0 || in.size() != count * sizeof(sock_filter) || fnv64(in) != sum) return false;
        Filter f;
        f.impl_ = std::make_unique<Filter::Impl>();
        f.impl_->flags = flags;
        f.impl_->program.resize(count);
        memcpy(f.impl_->program.data(), in.data(), in.size());
        *out = std::move(f);
        return true;
    }
    static std::string encode(const Filter& f, const std::string& key) {
        std::string prog = f.program_bytes();
        std::string out = kMagic + std::to_string(key.size()) + "\n" + key;
        put(out, static_cast<uint32_t>(f.impl_->flags));
        put(out, static_cast<uint32_t>(f.impl_->program.size()));
        put(out, fnv64(prog));
        return out + prog;
    }
};

Result<Filter> Filter::compile_cached(const spec::Seccomp& profile, const std::string& cache_dir) {
    std::string key = key_of(profile);
    char name[32];
    snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(fnv64(key)));
    std::string path = path_join(cache_dir, name);
    if (auto data = read_file(path)) {
        Filter f;
        if (Cache::decode(*data, key, &f)) return f;
    }
    Filter f = BERTH_TRY(compile(profile));
    if (f.empty()) return f;
    // Best effort: a cache that cannot be written costs only the next compilation.
    if (::mkdir(cache_dir.c_str(), 0700) == 0 || errno == EEXIST)
        (void)write_file_atomic(path, Cache::encode(f, key), 0600, Durability::Atomic);  // see above
    return f;
}

}  // namespace berth::runtime::seccomp
