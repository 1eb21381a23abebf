// Random object IDs as Docker makes them: 64 lower-case hex digits (32 random bytes), whose
// 12-digit short form is never all digits (it would read as an integer).
#pragma once

#include <string>

namespace berth {

std::string random_id();

}  // namespace berth
