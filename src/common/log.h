// Minimal leveled logging to stderr (or a file); the runtime avoids spdlog to stay small
// and quick to start.
#pragma once

#include <string>
#include <string_view>

namespace berth::log {

enum class Level { Debug, Info, Warn, Error };

void set_level(Level level);
Level level();
bool parse_level(std::string_view name, Level* out);
// Redirects output to a file opened for append (runc's --log); empty means stderr.
bool set_file(const std::string& path);
void set_json(bool json);
void write(Level level, std::string_view msg);

inline void debug(std::string_view m) {
    if (level() <= Level::Debug) write(Level::Debug, m);
}
inline void info(std::string_view m) {
    if (level() <= Level::Info) write(Level::Info, m);
}
inline void warn(std::string_view m) {
    write(Level::Warn, m);
}
inline void error(std::string_view m) {
    write(Level::Error, m);
}

}  // namespace berth::log
