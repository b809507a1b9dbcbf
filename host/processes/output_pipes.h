// The output pipes of the launched children: each is read without blocking, cut into lines of
// bounded length (LineSplitter) and logged at info under its process's scope. Used by the
// process supervisor's loop thread only; not thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "host/processes/line_splitter.h"

namespace plughost {

class OutputPipes {
 public:
  explicit OutputPipes(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}
  ~OutputPipes() { CloseAll(); }
  OutputPipes(const OutputPipes&) = delete;
  OutputPipes& operator=(const OutputPipes&) = delete;

  // Takes `fd` (a non-blocking read end); its lines are logged under `scope`.
  void Add(int fd, std::string scope);
  bool Owns(int fd) const { return pipes_.count(fd) > 0; }
  bool empty() const { return pipes_.empty(); }

  // Reads what `fd` has now, a bounded amount per call so one chatty child cannot starve the
  // others. False once the pipe has ended: its last line is logged and the caller must stop
  // watching `fd`, then Close it.
  bool Read(int fd);
  void Close(int fd);

  // Logs every unfinished last line and closes every pipe.
  void CloseAll();

 private:
  struct Pipe {
    std::string scope;
    LineSplitter lines;
  };
  static void Log(const std::string& scope, std::string_view line);

  size_t max_line_bytes_;
  std::map<int, Pipe> pipes_;
};

}  // namespace plughost
