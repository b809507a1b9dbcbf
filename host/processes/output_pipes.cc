#include "host/processes/output_pipes.h"

#include <unistd.h>

#include <cerrno>

#include "host/common/log.h"

namespace plughost {

void OutputPipes::Add(int fd, std::string scope) {
  pipes_.emplace(fd, Pipe{std::move(scope), LineSplitter(max_line_bytes_)});
}

void OutputPipes::Log(const std::string& scope, std::string_view line) {
  if (log::Enabled(log::Level::kInfo)) log::Write(log::Level::kInfo, scope, line);
}

bool OutputPipes::Read(int fd) {
  auto it = pipes_.find(fd);
  if (it == pipes_.end()) return false;
  Pipe& pipe = it->second;
  auto emit = [&pipe](std::string_view line) { Log(pipe.scope, line); };
  char buffer[65536];
  for (int round = 0; round < 16; ++round) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      pipe.lines.Feed(std::string_view(buffer, static_cast<size_t>(n)), emit);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    pipe.lines.Finish(emit);  // end of file, or an error: the pipe is done
    return false;
  }
  return true;  // more to read: the poller reports it again
}

void OutputPipes::Close(int fd) {
  if (pipes_.erase(fd) > 0) ::close(fd);
}

void OutputPipes::CloseAll() {
  for (auto& entry : pipes_) {
    const std::string& scope = entry.second.scope;
    entry.second.lines.Finish([&scope](std::string_view line) { Log(scope, line); });
    ::close(entry.first);
  }
  pipes_.clear();
}

}  // namespace plughost
