// Warnings: something worked, but the user should know (an index older than the file it indexes).
// Each distinct text is reported once a process: by default as a "warning: …" line on stderr, in
// the GUI in its log (set_warning_handler, at start-up, before other threads warn).
#pragma once

#include <functional>
#include <string>

namespace ms {

void warn(const std::string& text);
void set_warning_handler(std::function<void(const std::string&)> handler);

}  // namespace ms
