// What this build of Berth is: its version and the git commit it was built from (filled in
// by CMake at configure time; "unknown" outside a git checkout).
#pragma once

namespace berth {

const char* berth_version();     // "0.1.0"
const char* berth_git_commit();  // "2680adc", or "unknown"

}  // namespace berth
