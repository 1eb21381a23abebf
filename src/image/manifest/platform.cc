// Platform normalisation, compatibility and manifest selection, following containerd's
// platforms package (database.go normalizeArch, compare.go platformVector/Only).
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>

#include "common/file.h"
#include "common/strings.h"
#include "image/manifest/manifest.h"

namespace berth::image::manifest {

static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Platform normalize(Platform p) {
    p.os = lower(p.os);
    if (p.os.empty()) p.os = "linux";
    if (p.os == "macos") p.os = "darwin";
    std::string arch = lower(p.architecture), variant = lower(p.variant);
    if (arch == "i386") {
        arch = "386", variant = "";
    } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
        arch = "amd64";
        if (variant == "v1") variant = "";
    } else if (arch == "aarch64" || arch == "arm64") {
        arch = "arm64";
        if (variant == "8" || variant == "v8" || variant == "v8.0")
            variant = "";
        else if (variant == "9" || variant == "9.0" || variant == "v9.0")
            variant = "v9";
    } else if (arch == "armhf") {
        arch = "arm", variant = "v7";
    } else if (arch == "armel") {
        arch = "arm", variant = "v6";
    } else if (arch == "arm") {
        if (variant.empty() || variant == "7")
            variant = "v7";
        else if (variant == "5" || variant == "6" || variant == "8")
            variant = "v" + variant;
    }
    p.architecture = arch;
    p.variant = variant;
    return p;
}

Result<Platform> parse_platform(std::string_view s) {
    auto parts = split(s, '/', /*skip_empty=*/false);
    auto bad = [&] {
        return Error::invalid("invalid platform \"" + std::string(s) + "\": want os[/arch[/variant]]");
    };
    if (parts.empty() || parts.size() > 3) return bad();
    for (const auto& part : parts) {
        if (part.empty()) return bad();
        for (char c : part)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
                return bad();
    }
    Platform p;
    if (parts.size() == 1) {
        // containerd: a lone known OS means that OS on the host architecture; anything else
        // is an architecture on linux.
        std::string one = lower(parts[0]);
        if (one == "linux" || one == "windows" || one == "darwin" || one == "freebsd") {
            p = host_platform();
            p.os = one;
        } else {
            p.os = "linux";
            p.architecture = parts[0];
        }
    } else {
        p.os = parts[0];
        p.architecture = parts[1];
        if (parts.size() == 3) p.variant = parts[2];
    }
    return normalize(p);
}

std::string format_platform(const Platform& p) {
    std::string s = p.os.empty() ? "unknown" : p.os;
    s += "/" + (p.architecture.empty() ? std::string("unknown") : p.architecture);
    if (!p.variant.empty()) s += "/" + p.variant;
    return s;
}

static std::string arm_variant_from_cpuinfo() {
    // Like containerd's cpuinfo.go: "CPU architecture: 7" on 32-bit ARM kernels.
    auto text = read_file("/proc/cpuinfo");
    if (!text) return "v7";
    for (const auto& line : split(*text, '\n')) {
        if (!starts_with(line, "CPU architecture")) continue;
        auto colon = line.find(':');
        if (colon == std::string::npos) break;
        std::string v = trim(line.substr(colon + 1));
        if (v == "AArch64" || v == "8") return "v8";
        if (v == "7" || v == "6" || v == "5") return "v" + v;
        break;
    }
    return "v7";
}

Platform host_platform() {
    Platform p;
    p.os = "linux";
    struct utsname u;
    std::string machine = ::uname(&u) == 0 ? u.machine : "";
    if (machine == "x86_64")
        p.architecture = "amd64";
    else if (machine == "aarch64" || machine == "arm64")
        p.architecture = "arm64";
    else if (starts_with(machine, "armv") || machine == "arm")
        p.architecture = "arm", p.variant = arm_variant_from_cpuinfo();
    else if (machine == "i386" || machine == "i486" || machine == "i586" || machine == "i686")
        p.architecture = "386";
    else if (machine == "ppc64le")
        p.architecture = "ppc64le";
    else if (machine == "s390x")
        p.architecture = "s390x";
    else if (machine == "riscv64")
        p.architecture = "riscv64";
    else
        p.architecture = machine;
    return normalize(p);
}

static int variant_number(const std::string& v) {
    if (v.size() < 2 || v[0] != 'v') return -1;
    int n = 0;
    for (size_t i = 1; i < v.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(v[i]))) return -1;
        n = n * 10 + (v[i] - '0');
        if (n > 1000) return -1;
    }
    return n;
}

std::vector<Platform> compatible_platforms(const Platform& want_in) {
    Platform want = normalize(want_in);
    std::vector<Platform> out{want};
    auto with = [&](std::string arch, std::string variant) {
        Platform p = want;
        p.architecture = std::move(arch);
        p.variant = std::move(variant);
        out.push_back(normalize(p));
    };
    if (want.architecture == "amd64") {
        int n = variant_number(want.variant);
        for (int v = n - 1; n > 1 && v >= 1; --v) with("amd64", v == 1 ? "" : "v" + std::to_string(v));
        with("386", "");
    } else if (want.architecture == "arm") {
        int n = variant_number(want.variant);
        for (int v = n - 1; n > 5 && v >= 5; --v) with("arm", "v" + std::to_string(v));
    } else if (want.architecture == "arm64") {
        // Every arm64 CPU (v8.x, v9.x) runs 32-bit arm v8 and below. We do not order arm64
        // minor versions as containerd does: registries publish plain arm64 (v8).
        if (!want.variant.empty()) with("arm64", "");
        for (int v = 8; v >= 5; --v) with("arm", "v" + std::to_string(v));
    }
    return out;
}

static bool same_platform(const Platform& a, const Platform& b) {
    return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant;
}

static int rank(const std::vector<Platform>& vector, const Platform& have) {
    Platform h = normalize(have);
    for (size_t i = 0; i < vector.size(); ++i)
        if (same_platform(vector[i], h)) return static_cast<int>(i);
    return -1;
}

bool platform_matches(const Platform& want, const Platform& have) {
    return rank(compatible_platforms(want), have) >= 0;
}

Result<Descriptor> select_manifest(const Index& index, const Platform& want) {
    auto vector = compatible_platforms(want);
    const Descriptor* best = nullptr;
    int best_rank = 0;
    const Descriptor* no_platform = nullptr;
    for (const auto& d : index.manifests) {
        if (!is_manifest(d.media_type) && !is_index(d.media_type)) continue;
        if (!d.platform) {
            if (!no_platform && is_manifest(d.media_type)) no_platform = &d;
            continue;
        }
        int r = rank(vector, *d.platform);
        if (r >= 0 && (!best || r < best_rank)) best = &d, best_rank = r;
    }
    if (!best) best = no_platform;
    if (!best) {
        return Error::not_found("no matching manifest for " + format_platform(normalize(want)) +
                                " in the manifest list entries");
    }
    return *best;
}

}  // namespace berth::image::manifest
