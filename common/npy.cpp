#include "common/npy.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "common/atomic_file.h"
#include "common/parse_count.h"

namespace ms {

namespace {

std::string shape_tuple(const std::vector<int64_t>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        s += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size()) s += ",";
        if (i + 1 < shape.size()) s += " ";
    }
    return s + ")";
}

// The value after `'key':` in a header dict, up to the next ',' at depth 0 or the closing '}'.
std::string dict_value(const std::string& header, const std::string& key) {
    const size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) return {};
    size_t p = header.find(':', k);
    if (p == std::string::npos) return {};
    ++p;
    int depth = 0;
    size_t end = p;
    for (; end < header.size(); ++end) {
        const char c = header[end];
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if (depth == 0 && (c == ',' || c == '}')) break;
    }
    std::string v = header.substr(p, end - p);
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return v;
}

}  // namespace

Result<void> write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
    size_t n = 1;
    for (int64_t d : shape) n *= size_t(d);
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
    // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ends in '\n'.
    const size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    if (header.size() > 65535) return make_error("cannot write '", path, "': NumPy header too long");

    auto file = AtomicFile::create(path);
    if (!file) return file.error();
    const unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                        static_cast<unsigned char>(header.size() & 0xff),
                                        static_cast<unsigned char>(header.size() >> 8)};
    MS_TRY(file->write(preamble, sizeof preamble));
    MS_TRY(file->write(header.data(), header.size()));
    MS_TRY(file->write(data, n * sizeof(float)));
    return file->commit();
}

Result<NpyArray> read_npy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cannot open '", path, "': ", std::strerror(errno));
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
        return make_error("'", path, "' is not a NumPy .npy file (magic bytes missing)");
    const int major = static_cast<unsigned char>(bytes[6]);
    size_t header_len = 0, offset = 0;
    if (major == 1) {
        header_len = static_cast<unsigned char>(bytes[8]) | (size_t(static_cast<unsigned char>(bytes[9])) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) return make_error("'", path, "': truncated NumPy header");
        for (int i = 0; i < 4; ++i) header_len |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
        offset = 12;
    } else {
        return make_error("'", path, "': unsupported NumPy format version ", major);
    }
    if (offset + header_len > bytes.size()) return make_error("'", path, "': truncated NumPy header");
    const std::string header = bytes.substr(offset, header_len);
    const std::string descr = dict_value(header, "descr");
    if (dict_value(header, "fortran_order") != "False")
        return make_error("'", path, "': Fortran-ordered arrays are not supported");
    const bool f4 = descr == "'<f4'", f8 = descr == "'<f8'";
    if (!f4 && !f8) return make_error("'", path, "': dtype ", descr, " is not supported; expected '<f4' or '<f8'");

    NpyArray arr;
    std::string shape = dict_value(header, "shape");
    for (size_t i = 0; i < shape.size();) {
        if (std::isdigit(static_cast<unsigned char>(shape[i]))) {
            size_t j = i;
            while (j < shape.size() && std::isdigit(static_cast<unsigned char>(shape[j]))) ++j;
            // A whole int64: std::stoll threw on a dimension past it.
            const auto d = parse_count<int64_t>(std::string_view(shape).substr(i, j - i));
            if (!d) return make_error("'", path, "': shape ", shape, " has a dimension past 64 bits");
            arr.shape.push_back(*d);
            i = j;
        } else {
            ++i;
        }
    }
    const size_t elem = f4 ? 4 : 8;
    const size_t data_at = offset + header_len;
    // The element count without wrapping: (2^32, 2^32) wrapped to 0, and an empty data section
    // "fit" it. A zero dimension makes the array empty whatever the others are.
    size_t count = 1;
    if (std::find(arr.shape.begin(), arr.shape.end(), 0) != arr.shape.end())
        count = 0;
    else
        for (int64_t d : arr.shape) {
            if (count > std::numeric_limits<size_t>::max() / elem / size_t(d))
                return make_error("'", path, "': shape ", shape, " holds more elements than any file can");
            count *= size_t(d);
        }
    if (bytes.size() - data_at != count * elem)
        return make_error("'", path, "': data holds ", bytes.size() - data_at, " bytes; shape ", shape, " needs ",
                          count * elem);
    arr.data.resize(count);
    if (f4) {
        if (count) std::memcpy(arr.data.data(), bytes.data() + data_at, count * 4);
    } else {
        for (size_t i = 0; i < count; ++i) {
            double d;
            std::memcpy(&d, bytes.data() + data_at + 8 * i, 8);
            arr.data[i] = static_cast<float>(d);
        }
    }
    return arr;
}

}  // namespace ms
