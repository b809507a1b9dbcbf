// Cuts a byte stream (a child's stdout or stderr) into lines of bounded length: a line longer
// than `max_bytes` comes out in pieces of `max_bytes`, so a child that never writes a newline
// cannot make the host buffer without end.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace plughost {

class LineSplitter {
 public:
  explicit LineSplitter(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Feeds `bytes`; calls `emit(std::string_view line)` for each complete line, without its
  // "\n" (or "\r\n").
  template <typename Emit>
  void Feed(std::string_view bytes, Emit&& emit) {
    while (!bytes.empty()) {
      size_t newline = bytes.find('\n');
      std::string_view piece = bytes.substr(0, newline);
      size_t room = max_bytes_ - partial_.size();
      if (piece.size() >= room && (newline == std::string_view::npos || piece.size() > room)) {
        // Fill up to the bound and cut there.
        partial_.append(piece.substr(0, room));
        EmitPartial(emit);
        bytes.remove_prefix(room);
        continue;
      }
      partial_.append(piece);
      if (newline == std::string_view::npos) return;
      EmitPartial(emit);
      bytes.remove_prefix(newline + 1);
    }
  }

  // At end of stream: the last line, if it had no newline.
  template <typename Emit>
  void Finish(Emit&& emit) {
    if (!partial_.empty()) EmitPartial(emit);
  }

 private:
  template <typename Emit>
  void EmitPartial(Emit& emit) {
    std::string_view line = partial_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    emit(line);
    partial_.clear();
  }

  size_t max_bytes_;
  std::string partial_;
};

}  // namespace plughost
