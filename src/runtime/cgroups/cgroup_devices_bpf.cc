// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program assembled by hand from
// the OCI device rules and attached with raw bpf(2). Hand-written (like crun and runc) since
// the program is a few dozen fixed-shape instructions and libbpf would be a large dependency
// for that; the layout follows include/uapi/linux/bpf.h (struct bpf_cgroup_dev_ctx).
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/cgroups/cgroup_internal.h"

namespace berth::runtime::cgroups {

namespace {

// Registers after the prologue: r2 device type, r3 access bits, r4 major, r5 minor.
constexpr uint8_t kType = BPF_REG_2, kAccess = BPF_REG_3, kMajor = BPF_REG_4, kMinor = BPF_REG_5;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

bpf_insn load_ctx_u32(uint8_t dst, int16_t off) {
    return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
    return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
    return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
// Jump targets are patched once the rule's block is complete (offset -1 marks "to next rule").
bpf_insn jne_imm(uint8_t dst, int32_t imm) {
    return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, -1, imm);
}
bpf_insn jne_reg(uint8_t dst, uint8_t src) {
    return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, -1, 0);
}
bpf_insn exit_insn() {
    return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int32_t access_bits(const std::string& access) {
    int32_t bits = 0;
    for (char c : access.empty() ? std::string("rwm") : access) {
        if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
        if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
        if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    }
    return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

// One rule: fall through its checks to "return allow", or jump past the block on mismatch.
// Returns true when the rule matches every access (nothing after it can run).
bool append_rule(std::vector<bpf_insn>* prog, const spec::DeviceRule& r) {
    std::vector<bpf_insn> block;
    if (r.type == "c") block.push_back(jne_imm(kType, BPF_DEVCG_DEV_CHAR));
    if (r.type == "b") block.push_back(jne_imm(kType, BPF_DEVCG_DEV_BLOCK));
    int32_t bits = access_bits(r.access);
    if (bits != kAllAccess) {
        // Matches when the request asks for nothing outside the rule's access: (req & bits) == req.
        block.push_back(mov32_reg(BPF_REG_1, kAccess));
        block.push_back(alu32_imm(BPF_AND, BPF_REG_1, bits));
        block.push_back(jne_reg(BPF_REG_1, kAccess));
    }
    if (r.major) block.push_back(jne_imm(kMajor, static_cast<int32_t>(*r.major)));
    if (r.minor) block.push_back(jne_imm(kMinor, static_cast<int32_t>(*r.minor)));
    block.push_back(mov64_imm(BPF_REG_0, r.allow ? 1 : 0));
    block.push_back(exit_insn());
    for (size_t i = 0; i < block.size(); ++i)
        if (BPF_CLASS(block[i].code) == BPF_JMP && block[i].off == -1)
            block[i].off = static_cast<int16_t>(block.size() - 1 - i);
    prog->insert(prog->end(), block.begin(), block.end());
    return block.size() == 2;
}

long sys_bpf(int cmd, bpf_attr* attr) {
    return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

Result<UniqueFd> load_program(const std::vector<bpf_insn>& prog, const std::string& dir) {
    static const char license[] = "Apache-2.0";
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = reinterpret_cast<uint64_t>(prog.data());
    attr.insn_cnt = static_cast<uint32_t>(prog.size());
    attr.license = reinterpret_cast<uint64_t>(license);
    long fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    int err = errno;
    // Load again with the verifier's log so the error says why.
    std::string log(16384, '\0');
    attr.log_level = 1;
    attr.log_buf = reinterpret_cast<uint64_t>(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0) ::close(static_cast<int>(fd));
    log.resize(std::strlen(log.c_str()));
    std::string what = "bpf(BPF_PROG_LOAD) device filter for " + dir;
    if (!log.empty()) what += " (verifier: " + trim(log) + ")";
    return Error::sys(what, {}, err);
}

// Ids of the device programs attached to the cgroup now.
Result<std::vector<uint32_t>> attached_programs(int cgroup_fd, const std::string& dir) {
    std::vector<uint32_t> ids(64);
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (sys_bpf(BPF_PROG_QUERY, &attr) != 0) return Error::sys("bpf(BPF_PROG_QUERY)", dir);
    ids.resize(attr.query.prog_cnt);
    return ids;
}

}  // namespace

std::vector<bpf_insn> build_device_program(const std::vector<spec::DeviceRule>& rules) {
    std::vector<bpf_insn> prog = {
        // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; }
        load_ctx_u32(kType, 0),          alu32_imm(BPF_AND, kType, 0xffff), load_ctx_u32(kAccess, 0),
        alu32_imm(BPF_RSH, kAccess, 16), load_ctx_u32(kMajor, 4),           load_ctx_u32(kMinor, 8),
    };
    // The spec applies rules in order, a later one overriding an earlier: test them from
    // the last, and the first match decides. The verifier rejects unreachable code, so stop
    // after a rule that matches everything ("a *:* rwm").
    for (auto it = rules.rbegin(); it != rules.rend(); ++it)
        if (append_rule(&prog, *it)) return prog;
    prog.push_back(mov64_imm(BPF_REG_0, 0));  // no rule matched: deny
    prog.push_back(exit_insn());
    return prog;
}

Result<> attach_device_program(const std::string& dir, const std::vector<spec::DeviceRule>& rules) {
    auto cgroup = BERTH_TRY(open_file(dir, O_RDONLY | O_DIRECTORY));
    auto prog = BERTH_TRY(load_program(build_device_program(rules), dir));
    auto old = BERTH_TRY(attached_programs(cgroup.get(), dir));
    // Attach the new filter before detaching the old ones so that no window allows all.
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroup.get());
    attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) != 0) return Error::sys("bpf(BPF_PROG_ATTACH) device filter", dir);
    for (uint32_t id : old) {
        std::memset(&attr, 0, sizeof attr);
        attr.prog_id = id;
        long fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            return Error::sys("bpf(BPF_PROG_GET_FD_BY_ID " + std::to_string(id) + ")", dir);
        }
        UniqueFd old_fd(static_cast<int>(fd));
        std::memset(&attr, 0, sizeof attr);
        attr.target_fd = static_cast<uint32_t>(cgroup.get());
        attr.attach_bpf_fd = static_cast<uint32_t>(old_fd.get());
        attr.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, &attr) != 0 && errno != ENOENT)
            return Error::sys("bpf(BPF_PROG_DETACH " + std::to_string(id) + ")", dir);
    }
    return ok();
}

}  // namespace berth::runtime::cgroups
