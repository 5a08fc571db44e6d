// .npy round trips and the atomic-write guarantee (a failed write keeps the old file).
#include <cstdio>
#include <fstream>
#include <string>

#include "common/npy.h"
#include "tests/common/harness.h"

MS_TEST(npy_round_trip_2d) {
    const std::string path = std::string(MS_TEST_BINARY_DIR) + "/rt.npy";
    std::vector<float> v(3 * 5);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.25f * float(i) - 1.0f;
    MS_CHECK(ms::write_npy(path, v.data(), {3, 5}).ok());
    auto a = ms::read_npy(path);
    MS_CHECK_MSG(a.ok(), a.error().message);
    MS_CHECK(a->shape == (std::vector<int64_t>{3, 5}));
    MS_CHECK(a->data == v);
    // The header is padded so the data starts on a 64-byte boundary, as numpy requires.
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    MS_CHECK_EQ(static_cast<size_t>(in.tellg()) % 64, (v.size() * 4) % 64);
}

MS_TEST(npy_round_trip_1d_and_empty) {
    const std::string path = std::string(MS_TEST_BINARY_DIR) + "/one.npy";
    const float x[2] = {1.5f, -2.0f};
    MS_CHECK(ms::write_npy(path, x, {2}).ok());
    auto a = ms::read_npy(path);
    MS_CHECK(a.ok() && a->shape == std::vector<int64_t>{2} && a->data[1] == -2.0f);
    MS_CHECK(ms::write_npy(path, x, {0, 4}).ok());
    auto b = ms::read_npy(path);
    MS_CHECK(b.ok() && b->data.empty() && b->shape == (std::vector<int64_t>{0, 4}));
}

MS_TEST(npy_rejects_bad_files) {
    const std::string path = std::string(MS_TEST_BINARY_DIR) + "/bad.npy";
    { std::ofstream(path) << "not numpy"; }
    auto a = ms::read_npy(path);
    MS_CHECK(!a.ok());
    MS_CHECK(a.error().message.find("bad.npy") != std::string::npos);
    MS_CHECK(!ms::read_npy(path + ".missing").ok());
}

// A header written by hand (version 1.0) with the given shape tuple, and `data_bytes` zero bytes.
static void write_raw(const std::string& path, const std::string& shape, size_t data_bytes) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header.push_back('\n');
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(char(header.size() & 0xff));
    out.put(char(header.size() >> 8));
    out << header << std::string(data_bytes, '\0');
}

// Hostile shapes (found in review): a dimension past 64 bits threw out of std::stoll, and a shape
// whose element count wraps to 0 made an empty data section "fit" a 2^64-element array.
MS_TEST(npy_rejects_impossible_shapes) {
    const std::string path = std::string(MS_TEST_BINARY_DIR) + "/hostile.npy";
    write_raw(path, "(99999999999999999999999,)", 0);
    auto a = ms::read_npy(path);
    MS_CHECK(!a.ok() && a.error().message.find("past 64 bits") != std::string::npos);
    write_raw(path, "(4294967296, 4294967296)", 0);
    auto b = ms::read_npy(path);
    MS_CHECK(!b.ok() && b.error().message.find("more elements than any file can") != std::string::npos);
    // A zero dimension beside huge ones is an empty array, as numpy reads it.
    write_raw(path, "(0, 4294967296, 4294967296)", 0);
    auto c = ms::read_npy(path);
    MS_CHECK_MSG(c.ok(), c.error().message);
    MS_CHECK(c.ok() && c->data.empty() && c->shape.size() == 3);
    write_raw(path, "(2, 3)", 24);
    auto d = ms::read_npy(path);
    MS_CHECK(d.ok() && d->data.size() == 6);
}

MS_TEST(npy_failed_write_keeps_old_file) {
    const std::string path = std::string(MS_TEST_BINARY_DIR) + "/keep.npy";
    const float x[1] = {7.0f};
    MS_CHECK(ms::write_npy(path, x, {1}).ok());
    // /dev/full fails every write with ENOSPC: the error must say so and name the file.
    auto r = ms::write_npy("/dev/full/x.npy", x, {1});
    MS_CHECK(!r.ok());
    MS_CHECK(r.error().message.find("/dev/full/x.npy") != std::string::npos);
    auto a = ms::read_npy(path);
    MS_CHECK(a.ok() && a->data[0] == 7.0f);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }
