#include "engine/json_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ms {

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cannot open '", path, "': ", std::strerror(errno));
    std::ostringstream os;
    os << in.rdbuf();
    if (in.bad()) return make_error("cannot read '", path, "'");
    return os.str();
}

Result<nlohmann::json> parse_json_text(const std::string& path, const char* begin, const char* end, const char* what) {
    try {
        return nlohmann::json::parse(begin, end);
    } catch (const nlohmann::json::exception& e) {
        if (!what) return make_error(path, ": not valid JSON (", e.what(), ")");
        return make_error(path, ": the ", what, " is not valid JSON (", e.what(), ")");
    }
}

Result<nlohmann::json> read_json_file(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) return text.error();
    return parse_json_text(path, text->data(), text->data() + text->size(), nullptr);
}

}  // namespace ms
