// Go's text/tabwriter (elastic tabstops) as docker's fork configures it for tables: cells end
// at tabs, a column is a run of consecutive lines having a cell at that index, padded with
// spaces to max(minwidth, widest cell + padding). Widths are display widths (go-runewidth).
#include <functional>
#include <string>
#include <vector>

#include "cli/format/template.h"

namespace berth::cli::format {

namespace {

struct Cell {
    std::string text;
    int width = 0;
};
using Line = std::vector<Cell>;

bool in(uint32_t cp, uint32_t lo, uint32_t hi) {
    return cp >= lo && cp <= hi;
}

// Terminal columns of one code point: 0 for controls and combining marks, 2 for East Asian
// wide/fullwidth characters and emoji, else 1 (the cases go-runewidth distinguishes).
int rune_width(uint32_t cp) {
    if (cp < 0x20 || in(cp, 0x7F, 0x9F)) return 0;
    if (in(cp, 0x300, 0x36F) || in(cp, 0x200B, 0x200F) || in(cp, 0x20D0, 0x20FF) || in(cp, 0xFE00, 0xFE0F) ||
        in(cp, 0xFE20, 0xFE2F))
        return 0;
    if (in(cp, 0x1100, 0x115F) || in(cp, 0x2E80, 0x303E) || in(cp, 0x3041, 0x33FF) ||
        in(cp, 0x3400, 0x4DBF) || in(cp, 0x4E00, 0x9FFF) || in(cp, 0xA000, 0xA4CF) ||
        in(cp, 0xAC00, 0xD7A3) || in(cp, 0xF900, 0xFAFF) || in(cp, 0xFE30, 0xFE4F) ||
        in(cp, 0xFF00, 0xFF60) || in(cp, 0xFFE0, 0xFFE6) || in(cp, 0x1F300, 0x1F64F) ||
        in(cp, 0x1F900, 0x1F9FF) || in(cp, 0x20000, 0x3FFFD))
        return 2;
    return 1;
}

int display_width(std::string_view s) {
    int w = 0;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        if (i + len > s.size()) len = 1;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
        w += (len == 1 && c >= 0x80) ? 1 : rune_width(cp);  // an invalid byte counts one
        i += len;
    }
    return w;
}

class Writer {
public:
    Writer(int minwidth, int padding) : minwidth_(minwidth), padding_(padding) {}

    std::string run(std::string_view text) {
        lines_.emplace_back();
        std::string cell;
        for (char c : text) {
            if (c == '\t' || c == '\v') {
                terminate(cell);
            } else if (c == '\n' || c == '\f') {
                terminate(cell);
                lines_.emplace_back();
            } else {
                cell += c;
            }
        }
        if (!cell.empty()) terminate(cell);  // Flush ends an unterminated last cell
        format(0, lines_.size());
        return std::move(out_);
    }

private:
    void terminate(std::string& text) {
        Cell c;
        c.width = display_width(text);
        c.text = std::move(text);
        text.clear();
        lines_.back().push_back(std::move(c));
    }

    void write_lines(size_t line0, size_t line1) {
        for (size_t i = line0; i < line1; ++i) {
            const Line& line = lines_[i];
            for (size_t j = 0; j < line.size(); ++j) {
                const Cell& c = line[j];
                out_ += c.text;
                if (j < widths_.size()) out_.append(widths_[j] - c.width, ' ');
            }
            if (i + 1 < lines_.size()) out_ += '\n';
        }
    }

    // Formats lines [line0, line1) given the widths of the columns left of `widths_.size()`:
    // each block of consecutive lines with a cell in the next column gets that column's width.
    void format(size_t line0, size_t line1) {
        size_t column = widths_.size();
        for (size_t cur = line0; cur < line1; ++cur) {
            if (column + 1 >= lines_[cur].size()) continue;  // the last cell is not a column
            write_lines(line0, cur);
            line0 = cur;
            int width = minwidth_;
            for (; cur < line1; ++cur) {
                const Line& line = lines_[cur];
                if (column + 1 >= line.size()) break;
                width = std::max(width, line[column].width + padding_);
            }
            widths_.push_back(width);
            format(line0, cur);
            widths_.pop_back();
            line0 = cur;
            if (cur >= line1) break;
        }
        write_lines(line0, line1);
    }

    int minwidth_, padding_;
    std::vector<Line> lines_;
    std::vector<int> widths_;
    std::string out_;
};

}  // namespace

std::string tabwrite(std::string_view text, int minwidth, int padding) {
    return Writer(minwidth, padding).run(text);
}

}  // namespace berth::cli::format
