// safetensors reading: the file is memory-mapped once and every tensor is a view into the mapping,
// so a multi-gigabyte checkpoint costs no copy until a tensor is widened to float32. Everything a
// tensor view promises (offsets inside the data section, byte count, no overlap) is checked here,
// so later code can trust a TensorView without re-checking bounds.
#include "engine/safetensors.h"

#include "engine/json_file.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string_view>

namespace ms {

// F32 tensors are copied straight out of the mapping; safetensors data is little-endian.
static_assert(std::endian::native == std::endian::little, "safetensors reading assumes a little-endian host");

using nlohmann::json;

const char* dtype_name(DType t) {
    switch (t) {
        case DType::F32: return "F32";
        case DType::F16: return "F16";
        case DType::BF16: return "BF16";
    }
    return "?";
}

size_t dtype_size(DType t) {
    switch (t) {
        case DType::F32: return 4;
        case DType::F16: return 2;
        case DType::BF16: return 2;
    }
    return 0;
}

int64_t TensorView::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

namespace {

// A tensor's place in the data section, kept until the overlap check has run.
struct Span {
    size_t begin = 0, end = 0;
    size_t index = 0;   // into the tensor list
};

bool parse_dtype(const std::string& s, DType& out) {
    if (s == "F32") out = DType::F32;
    else if (s == "F16") out = DType::F16;
    else if (s == "BF16") out = DType::BF16;
    else return false;
    return true;
}

// A non-negative integer that fits size_t, as safetensors writes offsets and dimensions.
bool as_size(const json& j, size_t& out) {
    if (!j.is_number_unsigned()) {
        if (!j.is_number_integer() || j.get<int64_t>() < 0) return false;
    }
    out = j.get<size_t>();
    return true;
}

// numel × dtype size, or false when that would not fit in size_t (a hostile or corrupt shape).
bool byte_count(const std::vector<int64_t>& shape, size_t elem, size_t& out) {
    size_t n = elem;
    for (int64_t d : shape) {
        const size_t ud = static_cast<size_t>(d);
        if (ud != 0 && n > std::numeric_limits<size_t>::max() / ud) return false;
        n *= ud;
    }
    out = n;
    return true;
}

Result<std::map<std::string, std::string>> parse_metadata(const std::string& path, const json& j) {
    if (!j.is_object()) return make_error(path, ": '__metadata__' is not a JSON object");
    std::map<std::string, std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it.value().is_string())
            return make_error(path, ": '__metadata__' entry '", it.key(), "' is not a string");
        out[it.key()] = it.value().get<std::string>();
    }
    return out;
}

// One header entry -> a TensorView whose `data` is still the offset into the data section.
Result<TensorView> parse_tensor(const std::string& path, const std::string& name, const json& j,
                                size_t data_size, Span& span) {
    const std::string where = cat(path, ": tensor '", name, "'");
    if (!j.is_object()) return make_error(where, " is not a JSON object");
    TensorView t;
    t.name = name;
    t.file = path;

    const auto dt = j.find("dtype");
    if (dt == j.end() || !dt->is_string()) return make_error(where, " has no 'dtype' string");
    if (!parse_dtype(dt->get<std::string>(), t.dtype))
        return make_error(where, " has dtype '", dt->get<std::string>(),
                          "'; supported dtypes are F32, F16 and BF16");

    const auto sh = j.find("shape");
    if (sh == j.end() || !sh->is_array()) return make_error(where, " has no 'shape' list");
    for (const json& d : *sh) {
        size_t v = 0;
        if (!as_size(d, v) || v > size_t(std::numeric_limits<int64_t>::max()))
            return make_error(where, " has shape ", sh->dump(), "; dimensions must be non-negative integers");
        t.shape.push_back(static_cast<int64_t>(v));
    }

    const auto off = j.find("data_offsets");
    size_t b = 0, e = 0;
    if (off == j.end() || !off->is_array() || off->size() != 2 || !as_size((*off)[0], b) ||
        !as_size((*off)[1], e) || b > e)
        return make_error(where, " has data_offsets ", off == j.end() ? "(none)" : off->dump(),
                          "; expected [begin, end] with 0 <= begin <= end");
    if (e > data_size)
        return make_error(where, " data_offsets [", b, ", ", e, "] end beyond the data section (", data_size,
                          " bytes)");

    size_t expected = 0;
    if (!byte_count(t.shape, dtype_size(t.dtype), expected) || expected != e - b)
        return make_error(where, " holds ", e - b, " bytes; ", dtype_name(t.dtype), " ", shape_string(t.shape),
                          " needs ", expected, " bytes");
    t.bytes = e - b;
    span.begin = b;
    span.end = e;
    return t;
}

// Tensors may share no byte: a writer bug that would let one tensor silently alias another.
Result<void> check_no_overlap(const std::string& path, std::vector<Span> spans, const std::vector<TensorView>& ts) {
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    const Span* furthest = nullptr;   // the span reaching furthest so far
    for (const Span& s : spans) {
        if (s.begin == s.end) continue;   // empty tensors occupy no bytes
        if (furthest && s.begin < furthest->end)
            return make_error(path, ": tensors '", ts[furthest->index].name, "' [", furthest->begin, ", ",
                              furthest->end, ") and '", ts[s.index].name, "' [", s.begin, ", ", s.end,
                              ") overlap");
        if (!furthest || s.end > furthest->end) furthest = &s;
    }
    return {};
}

bool file_exists(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

SafetensorsFile::~SafetensorsFile() {
    if (map_) ::munmap(map_, map_size_);
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
    std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
    f->path_ = path;

    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("cannot open '", path, "': ", std::strerror(errno));
    struct stat st{};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return make_error("cannot stat '", path, "': ", std::strerror(err));
    }
    const size_t size = static_cast<size_t>(st.st_size);
    if (size < 8) {
        ::close(fd);
        return make_error(path, ": file is ", size, " bytes; a safetensors file starts with an 8-byte header length");
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int map_err = errno;
    ::close(fd);   // the mapping keeps the file alive
    if (map == MAP_FAILED) return make_error("cannot map '", path, "': ", std::strerror(map_err));
    f->map_ = map;
    f->map_size_ = size;

    const auto* bytes = static_cast<const unsigned char*>(map);
    // What is often saved in place of the weights: say what it is and what to do.
    const std::string_view head(reinterpret_cast<const char*>(bytes), std::min<size_t>(size, 64));
    if (head.starts_with("version https://git-lfs"))
        return make_error(path, ": a Git LFS pointer, not the weights: fetch them with `git lfs pull` in the model's ",
                          "repository (or download the file itself)");
    if (head.starts_with("<!DOCTYPE") || head.starts_with("<!doctype") || head.starts_with("<html") ||
        head.starts_with("<HTML"))
        return make_error(path,
                          ": an HTML page, not the weights (a download that saved the web page instead of the file)");
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
    // The reference implementation refuses headers over 100 MB too: a real header lists tensor
    // names and offsets (kilobytes), and parsing a hostile gigabyte of JSON would take tens of GB.
    constexpr uint64_t kMaxHeaderBytes = 100'000'000;
    if (header_len > kMaxHeaderBytes)
        return make_error(path, ": header length ", header_len, " is over the safetensors limit of ", kMaxHeaderBytes,
                          " bytes (is this a safetensors file?)");
    if (header_len > size - 8)
        return make_error(path, ": header length ", header_len, " is beyond the end of the file (", size,
                          " bytes)");

    const char* hb = reinterpret_cast<const char*>(bytes + 8);
    auto header = parse_json_text(path, hb, hb + header_len, "header");
    if (!header) return header.error();
    if (!header->is_object()) return make_error(path, ": the header is not a JSON object");

    const std::byte* data = reinterpret_cast<const std::byte*>(bytes + 8 + header_len);
    const size_t data_size = size - 8 - header_len;
    std::vector<Span> spans;
    for (auto it = header->begin(); it != header->end(); ++it) {
        if (it.key() == "__metadata__") {
            auto md = parse_metadata(path, it.value());
            if (!md) return md.error();
            f->metadata_ = std::move(*md);
            continue;
        }
        Span span;
        auto t = parse_tensor(path, it.key(), it.value(), data_size, span);
        if (!t) return t.error();
        span.index = f->tensors_.size();
        t->data = data + span.begin;
        f->tensors_.push_back(std::move(*t));
        spans.push_back(span);
    }
    MS_TRY(check_no_overlap(path, std::move(spans), f->tensors_));
    return f;
}

namespace {

struct IndexEntry {
    std::string tensor, shard;
};

// The weight_map of model.safetensors.index.json: tensor name -> shard file name.
Result<std::vector<IndexEntry>> read_index(const std::string& index_path) {
    auto text = read_text_file(index_path);
    if (!text) return text.error();
    auto j = parse_json_text(index_path, text->data(), text->data() + text->size(), "index");
    if (!j) return j.error();
    const auto wm = j->is_object() ? j->find("weight_map") : j->end();
    if (!j->is_object() || wm == j->end() || !wm->is_object())
        return make_error(index_path, ": no 'weight_map' object");
    std::vector<IndexEntry> out;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
        if (!it.value().is_string())
            return make_error(index_path, ": weight_map entry '", it.key(), "' is not a file name");
        out.push_back({it.key(), it.value().get<std::string>()});
    }
    return out;
}

}  // namespace

Result<WeightFiles> weight_files(const std::string& dir) {
    const std::string index_path = dir + "/model.safetensors.index.json";
    const std::string single_path = dir + "/model.safetensors";
    WeightFiles w;
    if (file_exists(single_path)) {
        w.files.push_back(single_path);
        return w;
    }
    if (!file_exists(index_path)) {
        std::string hint;
        for (const char* other : {"pytorch_model.bin", "model.bin", "pytorch_model.bin.index.json"})
            if (file_exists(dir + "/" + other))
                hint = cat("; it has ", other, ", a PyTorch pickle, which MambaScope never loads: convert it with ",
                           "tools/models/convert_checkpoint.py (docs/models.md)");
        return make_error("no model.safetensors or model.safetensors.index.json in '", dir, "'", hint);
    }
    std::vector<IndexEntry> index;
    MS_ASSIGN(index, read_index(index_path));
    if (index.empty()) return make_error(index_path, ": its weight_map names no tensor");
    std::set<std::string> shards;
    for (const IndexEntry& e : index) {
        const std::filesystem::path name = std::filesystem::path(e.shard).lexically_normal();
        if (name.empty() || name.is_absolute() || name.has_parent_path() || name == "." || name == "..")
            return make_error(index_path, ": shard '", e.shard, "' of tensor '", e.tensor,
                              "' is not a file name in the model folder");
        shards.insert(dir + "/" + name.string());
    }
    w.files.assign(shards.begin(), shards.end());
    w.index = index_path;
    return w;
}

Result<TensorStore> TensorStore::open_dir(const std::string& dir) {
    TensorStore store;
    store.dir_ = dir;
    WeightFiles w;
    MS_ASSIGN(w, weight_files(dir));
    std::vector<IndexEntry> index;
    std::map<std::string, size_t> shard_file;  // shard path -> index into files_
    for (const std::string& f : w.files) {
        auto opened = SafetensorsFile::open(f);
        if (!opened) return opened.error();
        shard_file[f] = store.files_.size();
        store.files_.push_back(std::move(*opened));
    }
    if (w.index.empty()) {
        store.description_ = "model.safetensors";
    } else {
        MS_ASSIGN(index, read_index(w.index));
        const size_t n = store.files_.size();
        store.description_ = cat(n, n == 1 ? " shard" : " shards", " of model.safetensors.index.json");
    }
    const std::string& index_path = w.index;

    for (const auto& f : store.files_) {
        for (const TensorView& t : f->tensors()) {
            auto [it, inserted] = store.by_name_.emplace(t.name, &t);
            if (!inserted)
                return make_error("tensor '", t.name, "' is in both '", it->second->file, "' and '", t.file, "'");
        }
    }
    if (index.empty()) return store;

    // Each shard must hold exactly what the index says: a mismatch means a half-copied checkpoint.
    std::set<std::string> listed;
    for (const IndexEntry& e : index) {
        const std::string shard_path =
            store.files_[shard_file[dir + "/" + std::filesystem::path(e.shard).lexically_normal().string()]]->path();
        const TensorView* t = store.find(e.tensor);
        if (!t || t->file != shard_path)
            return make_error(index_path, ": tensor '", e.tensor, "' is listed in shard '", e.shard,
                              "' but that shard does not hold it");
        listed.insert(e.tensor);
    }
    for (const auto& [name, t] : store.by_name_) {
        if (!listed.count(name))
            return make_error(index_path, ": tensor '", name, "' in '", t->file, "' is not in the weight_map");
    }
    return store;
}

const TensorView* TensorStore::find(const std::string& name) const {
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
}

std::vector<std::string> TensorStore::names() const {
    std::vector<std::string> out;
    out.reserve(by_name_.size());
    for (const auto& kv : by_name_) out.push_back(kv.first);
    return out;
}

std::string TensorStore::description() const { return description_; }

namespace {

// IEEE half -> single, exactly: every half value (subnormals, ±inf, NaN payloads) has a float32 twin.
uint32_t f16_bits_to_f32_bits(uint16_t h) {
    const uint32_t sign = uint32_t(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    if (exp == 0x1f) return sign | 0x7f800000u | (mant << 13);
    if (exp != 0) return sign | ((exp + 127 - 15) << 23) | (mant << 13);
    if (mant == 0) return sign;
    // Subnormal half: shift the mantissa up until its leading 1 becomes the implicit bit.
    exp = 127 - 15 + 1;
    while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
    }
    return sign | (exp << 23) | ((mant & 0x3ff) << 13);
}

uint16_t load_u16(const std::byte* p) {
    return static_cast<uint16_t>(std::to_integer<uint16_t>(p[0]) | (std::to_integer<uint16_t>(p[1]) << 8));
}

}  // namespace

std::vector<float> to_float32(const TensorView& t) {
    const size_t n = static_cast<size_t>(t.numel());
    std::vector<float> out(n);
    switch (t.dtype) {
        case DType::F32:
            if (n) std::memcpy(out.data(), t.data, n * sizeof(float));
            break;
        case DType::F16:
            for (size_t i = 0; i < n; ++i)
                out[i] = std::bit_cast<float>(f16_bits_to_f32_bits(load_u16(t.data + 2 * i)));
            break;
        case DType::BF16:
            // bfloat16 is the top half of a float32.
            for (size_t i = 0; i < n; ++i) out[i] = std::bit_cast<float>(uint32_t(load_u16(t.data + 2 * i)) << 16);
            break;
    }
    return out;
}

}  // namespace ms
