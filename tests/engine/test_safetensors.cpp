// safetensors reading: exact F32/F16/BF16 values from files written here byte by byte, and one
// table of malformed files, each with the message it must produce. Sharded directories last.
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/safetensors.h"
#include "tests/common/harness.h"

namespace {

namespace fs = std::filesystem;

std::string scratch(const std::string& name) {
    const std::string dir = std::string(MS_TEST_BINARY_DIR) + "/safetensors_" + name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// A safetensors file as the format defines it: u64 little-endian header length, header, data.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
    std::string out;
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    return out + header + data;
}

std::string le16(const std::vector<uint16_t>& v) {
    std::string s;
    for (uint16_t x : v) {
        s.push_back(static_cast<char>(x & 0xff));
        s.push_back(static_cast<char>(x >> 8));
    }
    return s;
}

std::string le32(const std::vector<float>& v) {
    std::string s;
    for (float f : v) {
        const uint32_t x = std::bit_cast<uint32_t>(f);
        for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
    }
    return s;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Equal as bit patterns, except any NaN matches any NaN.
bool same_float(float a, float b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}

}  // namespace

MS_TEST(safetensors_round_trip_f32_f16_bf16_exact) {
    const std::string dir = scratch("round_trip");
    const std::vector<float> f32 = {1.5f, -2.25f, 0.0f, 3.0e38f, -1e-40f /* subnormal */, 7.0f};
    // F16 bit patterns and their exact float32 values: normals, both subnormal extremes, ±0, ±inf, NaN.
    const std::vector<uint16_t> f16 = {0x3C00, 0xC000, 0x0001, 0x03FF, 0x7BFF, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x3555};
    const std::vector<float> f16_expected = {1.0f,      -2.0f,     std::ldexp(1.0f, -24), 1023 * std::ldexp(1.0f, -24),
                                             65504.0f,  -0.0f,     INFINITY,              -INFINITY,
                                             NAN,       0.333251953125f};
    const std::vector<uint16_t> bf16 = {0x3F80, 0xC0A0, 0x7F80, 0x0001, 0x4049, 0x8000};
    const std::vector<float> bf16_expected = {1.0f, -5.0f, INFINITY, std::ldexp(1.0f, -133), 3.140625f, -0.0f};

    const std::string data = le32(f32) + le16(f16) + le16(bf16);
    const std::string header =
        R"({"__metadata__":{"format":"pt","note":"x"},)"
        R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
        R"("b":{"dtype":"F16","shape":[10],"data_offsets":[24,44]},)"
        R"("c":{"dtype":"BF16","shape":[2,1,3],"data_offsets":[44,56]},)"
        R"("empty":{"dtype":"F32","shape":[0,4],"data_offsets":[56,56]}})";
    write_bytes(dir + "/model.safetensors", safetensors_bytes(header, data));

    auto f = ms::SafetensorsFile::open(dir + "/model.safetensors");
    MS_CHECK_MSG(f.ok(), f.error().message);
    const auto& file = **f;
    MS_CHECK_EQ(file.tensors().size(), size_t(4));
    MS_CHECK_EQ(file.metadata().at("format"), std::string("pt"));

    struct Expect {
        const char* name;
        ms::DType dtype;
        std::vector<int64_t> shape;
        std::vector<float> values;
    };
    const Expect table[] = {{"a", ms::DType::F32, {2, 3}, f32},
                            {"b", ms::DType::F16, {10}, f16_expected},
                            {"c", ms::DType::BF16, {2, 1, 3}, bf16_expected},
                            {"empty", ms::DType::F32, {0, 4}, {}}};
    for (const Expect& e : table) {
        const ms::TensorView* t = nullptr;
        for (const auto& v : file.tensors())
            if (v.name == e.name) t = &v;
        MS_CHECK_MSG(t != nullptr, e.name);
        MS_CHECK(t->dtype == e.dtype);
        MS_CHECK_MSG(t->shape == e.shape, e.name << " " << ms::shape_string(t->shape));
        MS_CHECK_EQ(t->file, dir + "/model.safetensors");
        const std::vector<float> got = ms::to_float32(*t);
        MS_CHECK_EQ(got.size(), e.values.size());
        for (size_t i = 0; i < got.size(); ++i)
            MS_CHECK_MSG(same_float(got[i], e.values[i]), e.name << "[" << i << "] = " << got[i] << ", expected "
                                                                 << e.values[i]);
    }

    auto store = ms::TensorStore::open_dir(dir);
    MS_CHECK_MSG(store.ok(), store.error().message);
    MS_CHECK_EQ(store->description(), std::string("model.safetensors"));
    MS_CHECK(store->names() == (std::vector<std::string>{"a", "b", "c", "empty"}));
    MS_CHECK(store->find("b") != nullptr && store->find("b")->numel() == 10);
    MS_CHECK(store->find("missing") == nullptr);
}

MS_TEST(safetensors_shape_string) {
    MS_CHECK_EQ(ms::shape_string({128, 16}), std::string("[128, 16]"));
    MS_CHECK_EQ(ms::shape_string({}), std::string("[]"));
    MS_CHECK_EQ(ms::dtype_size(ms::DType::BF16), size_t(2));
    MS_CHECK_EQ(std::string(ms::dtype_name(ms::DType::F16)), std::string("F16"));
}

MS_TEST(safetensors_rejects_malformed_files) {
    const std::string dir = scratch("malformed");
    const std::string ok_data(64, '\0');
    struct Case {
        const char* what;
        std::string bytes;
        std::vector<std::string> expected;   // substrings of the message, besides the file path
    };
    const Case cases[] = {
        {"truncated", std::string("\x05\x00\x00", 3), {"file is 3 bytes", "8-byte header length"}},
        {"empty", "", {"file is 0 bytes"}},
        // The length field says 64 bytes of header; 2 follow.
        {"header_beyond_file", std::string("\x40\0\0\0\0\0\0\0{}", 10),
         {"header length 64 is beyond the end of the file (10 bytes)"}},
        {"bad_json", safetensors_bytes(R"({"a": {"dtype": )", ok_data), {"header is not valid JSON"}},
        {"not_object", safetensors_bytes("[1, 2]", ok_data), {"header is not a JSON object"}},
        {"dtype_i64", safetensors_bytes(R"({"x":{"dtype":"I64","shape":[8],"data_offsets":[0,64]}})", ok_data),
         {"tensor 'x' has dtype 'I64'", "supported dtypes are F32, F16 and BF16"}},
        {"dtype_f64", safetensors_bytes(R"({"x":{"dtype":"F64","shape":[8],"data_offsets":[0,64]}})", ok_data),
         {"tensor 'x' has dtype 'F64'"}},
        {"offsets_end_beyond",
         safetensors_bytes(R"({"x":{"dtype":"F32","shape":[25],"data_offsets":[0,100]}})", ok_data),
         {"tensor 'x' data_offsets [0, 100] end beyond the data section (64 bytes)"}},
        {"offsets_reversed",
         safetensors_bytes(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", ok_data),
         {"tensor 'x' has data_offsets [8,4]", "begin <= end"}},
        {"offsets_not_pair",
         safetensors_bytes(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", ok_data),
         {"tensor 'x' has data_offsets [0]"}},
        {"offsets_negative",
         safetensors_bytes(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", ok_data),
         {"tensor 'x' has data_offsets [-4,0]"}},
        {"byte_count", safetensors_bytes(R"({"x":{"dtype":"F16","shape":[4,4],"data_offsets":[0,16]}})", ok_data),
         {"tensor 'x' holds 16 bytes; F16 [4, 4] needs 32 bytes"}},
        {"negative_dim", safetensors_bytes(R"({"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", ok_data),
         {"tensor 'x' has shape [-1]"}},
        {"overlap",
         safetensors_bytes(R"({"y":{"dtype":"F32","shape":[4],"data_offsets":[8,24]},)"
                           R"("x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                           ok_data),
         {"tensors 'x' [0, 16) and 'y' [8, 24) overlap"}},
        {"overlap_nested",
         safetensors_bytes(R"({"big":{"dtype":"F32","shape":[16],"data_offsets":[0,64]},)"
                           R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[40,44]}})",
                           ok_data),
         {"overlap"}},
        {"metadata_not_string", safetensors_bytes(R"({"__metadata__":{"n":3}})", ""),
         {"'__metadata__' entry 'n' is not a string"}},
    };
    for (const Case& c : cases) {
        const std::string path = dir + "/" + c.what + ".safetensors";
        write_bytes(path, c.bytes);
        auto f = ms::SafetensorsFile::open(path);
        MS_CHECK_MSG(!f.ok(), c.what << ": accepted");
        const std::string& m = f.error().message;
        MS_CHECK_MSG(contains(m, path), c.what << ": " << m);
        for (const std::string& e : c.expected) MS_CHECK_MSG(contains(m, e), c.what << ": " << m << "\n  lacks: " << e);
    }
}

// A header over the reference implementation's 100 MB limit is refused before it is parsed. The
// file is sparse: 100 MB of a JSON object that never closes, which would otherwise be read in full.
MS_TEST(safetensors_header_length_limit) {
    const std::string path = scratch("header_limit") + "/model.safetensors";
    const uint64_t header_len = 100'000'001;
    std::string head;
    for (int i = 0; i < 8; ++i) head.push_back(static_cast<char>((header_len >> (8 * i)) & 0xff));
    write_bytes(path, head + "{\"a\": ");
    fs::resize_file(path, 8 + header_len);
    auto f = ms::SafetensorsFile::open(path);
    MS_CHECK(!f.ok());
    MS_CHECK_MSG(contains(f.error().message, path + ": header length 100000001 is over the safetensors limit of "
                                                    "100000000 bytes"), f.error().message);
}

// Files saved in place of the weights are named for what they are (an "over the limit" header
// length, found in review).
MS_TEST(safetensors_names_lfs_pointers_and_web_pages) {
    const std::string dir = scratch("not_weights");
    write_bytes(dir + "/lfs.safetensors", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 123456\n");
    auto lfs = ms::SafetensorsFile::open(dir + "/lfs.safetensors");
    MS_CHECK(!lfs.ok() &&
             contains(lfs.error().message, "a Git LFS pointer, not the weights: fetch them with `git lfs pull`"));
    write_bytes(dir + "/page.safetensors", "<!DOCTYPE html>\n<html><head><title>Hugging Face</title></head></html>\n");
    auto page = ms::SafetensorsFile::open(dir + "/page.safetensors");
    MS_CHECK(!page.ok() && contains(page.error().message, "an HTML page, not the weights"));
}

MS_TEST(safetensors_missing_file_and_dir) {
    const std::string dir = scratch("missing");
    auto f = ms::SafetensorsFile::open(dir + "/nope.safetensors");
    MS_CHECK(!f.ok());
    MS_CHECK_MSG(contains(f.error().message, "cannot open '" + dir + "/nope.safetensors'"), f.error().message);
    auto s = ms::TensorStore::open_dir(dir);
    MS_CHECK(!s.ok());
    MS_CHECK_EQ(s.error().message, "no model.safetensors or model.safetensors.index.json in '" + dir + "'");
    // A PyTorch checkpoint alone: the converter is named.
    write_bytes(dir + "/pytorch_model.bin", "PK");
    auto bin = ms::TensorStore::open_dir(dir);
    MS_CHECK(!bin.ok() && contains(bin.error().message, "it has pytorch_model.bin") &&
             contains(bin.error().message, "tools/models/convert_checkpoint.py"));
}

namespace {

// Two shards: "a" and "b" in shard 1, "c" in shard 2; `index` is the weight_map body.
std::string write_sharded(const std::string& name, const std::string& weight_map) {
    const std::string dir = scratch(name);
    write_bytes(dir + "/model-00001-of-00002.safetensors",
                safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                  R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                  le32({1.0f, 2.0f})));
    write_bytes(dir + "/model-00002-of-00002.safetensors",
                safetensors_bytes(R"({"c":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})",
                                  le16({0x4040, 0x4080})));
    write_bytes(dir + "/model.safetensors.index.json",
                R"({"metadata":{"total_size":12},"weight_map":{)" + weight_map + "}}");
    return dir;
}

}  // namespace

MS_TEST(safetensors_sharded_index) {
    const std::string dir = write_sharded("sharded", R"("a":"model-00001-of-00002.safetensors",)"
                                                     R"("b":"model-00001-of-00002.safetensors",)"
                                                     R"("c":"model-00002-of-00002.safetensors")");
    auto s = ms::TensorStore::open_dir(dir);
    MS_CHECK_MSG(s.ok(), s.error().message);
    MS_CHECK_EQ(s->description(), std::string("2 shards of model.safetensors.index.json"));
    MS_CHECK(s->names() == (std::vector<std::string>{"a", "b", "c"}));
    MS_CHECK(ms::to_float32(*s->find("c")) == (std::vector<float>{3.0f, 4.0f}));
    MS_CHECK_EQ(s->find("c")->file, dir + "/model-00002-of-00002.safetensors");
}

MS_TEST(safetensors_sharded_index_errors) {
    struct Case {
        const char* what;
        std::string weight_map;
        std::string expected;
    };
    const Case cases[] = {
        {"wrong_shard",
         R"("a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors",)"
         R"("c":"model-00001-of-00002.safetensors")",
         "model.safetensors.index.json: tensor 'c' is listed in shard 'model-00001-of-00002.safetensors' but "
         "that shard does not hold it"},
        {"unlisted", R"("a":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors")",
         "tensor 'b' in '"},
        {"missing_shard", R"("a":"model-00003-of-00002.safetensors")", "cannot open '"},
        {"not_a_name", R"("a":3)", "weight_map entry 'a' is not a file name"},
        // Outside the folder: its weights escaped the model's checksum (found in review).
        {"outside", R"("a":"../model-00001-of-00002.safetensors")",
         "shard '../model-00001-of-00002.safetensors' of tensor 'a' is not a file name in the model folder"},
        {"empty_map", "", "its weight_map names no tensor"},
    };
    for (const Case& c : cases) {
        const std::string dir = write_sharded(std::string("shard_") + c.what, c.weight_map);
        auto s = ms::TensorStore::open_dir(dir);
        MS_CHECK_MSG(!s.ok(), c.what << ": accepted");
        MS_CHECK_MSG(contains(s.error().message, c.expected), c.what << ": " << s.error().message);
        MS_CHECK_MSG(contains(s.error().message, dir), c.what << ": " << s.error().message);
    }
}

MS_TEST(safetensors_duplicate_tensor_across_shards) {
    const std::string dir = write_sharded("shard_duplicate", R"("a":"model-00001-of-00002.safetensors",)"
                                                             R"("c":"model-00002-of-00002.safetensors")");
    // Shard 2 now also holds "a".
    write_bytes(dir + "/model-00002-of-00002.safetensors",
                safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                  R"("c":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}})",
                                  le32({1.0f, 2.0f})));
    auto s = ms::TensorStore::open_dir(dir);
    MS_CHECK(!s.ok());
    MS_CHECK_MSG(contains(s.error().message, "tensor 'a' is in both '" + dir + "/model-00001-of-00002.safetensors' and '" +
                                                 dir + "/model-00002-of-00002.safetensors'"),
                 s.error().message);
}

// "./name" is the file "name" (it was opened twice and reported as holding its tensors twice); a
// folder holding model.safetensors beside an index loads model.safetensors, as transformers does,
// and weight_files names exactly the files read.
MS_TEST(safetensors_which_files_a_folder_loads) {
    const std::string dir = write_sharded("shard_dotslash", R"("a":"./model-00001-of-00002.safetensors",)"
                                                            R"("b":"model-00001-of-00002.safetensors",)"
                                                            R"("c":"model-00002-of-00002.safetensors")");
    auto s = ms::TensorStore::open_dir(dir);
    MS_CHECK_MSG(s.ok(), s.error().message);
    auto w = ms::weight_files(dir);
    MS_CHECK(w.ok() && w->files == (std::vector<std::string>{dir + "/model-00001-of-00002.safetensors",
                                                             dir + "/model-00002-of-00002.safetensors"}));
    MS_CHECK_EQ(w->index, dir + "/model.safetensors.index.json");
    write_bytes(dir + "/model.safetensors",
                safetensors_bytes(R"({"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", le32({9.0f})));
    auto single = ms::TensorStore::open_dir(dir);
    MS_CHECK_MSG(single.ok(), single.error().message);
    MS_CHECK_EQ(single->description(), std::string("model.safetensors"));
    MS_CHECK(single->names() == (std::vector<std::string>{"z"}));
    w = ms::weight_files(dir);
    MS_CHECK(w.ok() && w->files == (std::vector<std::string>{dir + "/model.safetensors"}) && w->index.empty());
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }
