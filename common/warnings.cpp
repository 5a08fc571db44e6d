#include "common/warnings.h"

#include <cstdio>
#include <mutex>
#include <set>

namespace ms {

namespace {

std::mutex g_mutex;
std::set<std::string> g_said;  // a view reloaded on every scroll would repeat itself otherwise
std::function<void(const std::string&)> g_handler;

}  // namespace

void set_warning_handler(std::function<void(const std::string&)> handler) {
    std::lock_guard lock(g_mutex);
    g_handler = std::move(handler);
}

void warn(const std::string& text) {
    std::function<void(const std::string&)> handler;
    {
        std::lock_guard lock(g_mutex);
        if (!g_said.insert(text).second) return;
        handler = g_handler;
    }
    if (handler)
        handler(text);
    else
        std::fprintf(stderr, "warning: %s\n", text.c_str());
}

}  // namespace ms
