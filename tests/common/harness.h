// A minimal test harness for the layers that build without Qt (kernels/, engine/, common/):
// the engine-only build on the GPU machine has no Qt Test and no GoogleTest. Layers above use Qt Test.
//
//   MS_TEST(safetensors_rejects_truncated_header) { ...; MS_CHECK(x == 1); MS_CHECK_EQ(a, b); }
//   int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }
//
// A test calls MS_SKIP("why") to skip; a binary whose tests all skipped exits 77, which CTest
// reports as skipped (SKIP_RETURN_CODE 77). `binary NAME_SUBSTRING` runs the matching tests only.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace ms::test {

struct Case {
    const char* name;
    std::function<void()> fn;
};

inline std::vector<Case>& registry() {
    static std::vector<Case> cases;
    return cases;
}

struct Failure {
    std::string message;
};
struct Skip {
    std::string reason;
};

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

inline int run_all(int argc, char** argv) {
    const char* filter = argc > 1 ? argv[1] : nullptr;
    int passed = 0, failed = 0, skipped = 0;
    for (const Case& c : registry()) {
        if (filter && !std::strstr(c.name, filter)) continue;
        try {
            c.fn();
            ++passed;
            std::printf("PASS  %s\n", c.name);
        } catch (const Failure& f) {
            ++failed;
            std::printf("FAIL  %s\n      %s\n", c.name, f.message.c_str());
        } catch (const Skip& s) {
            ++skipped;
            std::printf("SKIP  %s: %s\n", c.name, s.reason.c_str());
        } catch (const std::exception& e) {
            ++failed;
            std::printf("FAIL  %s\n      unexpected exception: %s\n", c.name, e.what());
        }
    }
    std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (failed) return 1;
    if (skipped && !passed) return 77;
    return 0;
}

template <class A, class B>
void check_eq(const A& a, const B& b, const char* ea, const char* eb, const char* file, int line) {
    if (a == b) return;
    std::ostringstream os;
    os << file << ":" << line << ": expected " << ea << " == " << eb << "\n        got " << a << " vs " << b;
    throw Failure{os.str()};
}

// Relative error ||x - ref|| / ||ref|| over two equally long float arrays; NaN/Inf in x fails first.
inline double rel_error(const float* x, const float* ref, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) return INFINITY;
        const double d = double(x[i]) - double(ref[i]);
        num += d * d;
        den += double(ref[i]) * double(ref[i]);
    }
    return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

}  // namespace ms::test

#define MS_TEST(name)                                                     \
    static void ms_test_##name();                                         \
    static ms::test::Registrar ms_test_reg_##name(#name, ms_test_##name); \
    static void ms_test_##name()

#define MS_CHECK(cond)                                                                          \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            std::ostringstream ms_os_;                                                          \
            ms_os_ << __FILE__ << ":" << __LINE__ << ": check failed: " #cond;                  \
            throw ms::test::Failure{ms_os_.str()};                                              \
        }                                                                                       \
    } while (0)

#define MS_CHECK_MSG(cond, msg)                                                                 \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            std::ostringstream ms_os_;                                                          \
            ms_os_ << __FILE__ << ":" << __LINE__ << ": check failed: " #cond "\n        " << msg; \
            throw ms::test::Failure{ms_os_.str()};                                              \
        }                                                                                       \
    } while (0)

#define MS_CHECK_EQ(a, b) ms::test::check_eq((a), (b), #a, #b, __FILE__, __LINE__)
#define MS_SKIP(reason) throw ms::test::Skip{reason}
