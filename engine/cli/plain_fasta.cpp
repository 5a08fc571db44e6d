#include "engine/cli/plain_fasta.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace ms {

Result<FastaRecord> read_plain_fasta_record(const std::string& path, const std::string& name) {
    std::ifstream in(path);
    if (!in) return make_error("cannot open FASTA '", path, "': ", std::strerror(errno));
    FastaRecord rec;
    bool in_wanted = false, found = false;
    std::string line;
    for (long line_no = 1; std::getline(in, line); ++line_no) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line[0] == '>') {
            if (found) break;
            const std::string id = line.substr(1, line.find_first_of(" \t") - 1);
            in_wanted = name.empty() || id == name;
            if (in_wanted) {
                rec.name = id;
                found = true;
            }
        } else if (line_no == 1) {
            return make_error("'", path, "' is not FASTA: line 1 does not start with '>'");
        } else if (in_wanted) {
            rec.sequence += line;
        }
    }
    if (!found)
        return name.empty() ? make_error("'", path, "' holds no FASTA record")
                            : make_error("no record named '", name, "' in '", path, "'");
    return rec;
}

}  // namespace ms
