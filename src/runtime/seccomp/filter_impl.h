// Private to runtime/seccomp: what a Filter holds (shared by seccomp.cc and cache.cc).
#pragma once

#include <linux/filter.h>

#include <vector>

#include "runtime/seccomp/seccomp.h"

namespace berth::runtime::seccomp {

struct Filter::Impl {
    std::vector<sock_filter> program;
    unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
};

}  // namespace berth::runtime::seccomp
