// `plughost components`: what the socket folder offers, and what the host would do with it.
#pragma once

#include <cstdio>

#include "host/app/cli.h"

namespace plughost {

// Runs the host's folder checks, then lists every socket (once, with all its kinds, types and
// services) and every skipped entry in a table sized to its content. Exit code: 0 when the
// host would serve from this folder, 1 when the folder is missing, 2 when the host would
// refuse it (every user can write to it).
int RunComponentsCommand(const CliOptions& options, std::FILE* out);

}  // namespace plughost
