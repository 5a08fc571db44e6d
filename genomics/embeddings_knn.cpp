// Brute-force cosine k-nearest neighbours over unit float32 vectors (see embeddings_knn.h).
#include "genomics/embeddings_knn.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace ms {

namespace {

// Dot product with 16 independent partial sums: without -ffast-math the compiler may not reorder a
// single float sum, but it does turn 16 lanes into vector registers. target_clones builds an AVX2
// copy beside the baseline one and picks it at load time on CPUs that have it (the release build
// targets plain x86-64).
__attribute__((target_clones("default", "avx2"))) float dot(const float* a, const float* b, int n) {
    float acc[16] = {};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; ++l) acc[l] += a[i + l] * b[i + l];
    float s = 0;
    for (; i < n; ++i) s += a[i] * b[i];
    for (float x : acc) s += x;
    return s;
}

bool better(const Neighbour& a, const Neighbour& b) {
    return a.cosine > b.cosine || (a.cosine == b.cosine && a.id < b.id);
}

// The best k seen so far, unordered; `worst` indexes the one a better candidate replaces.
struct TopK {
    size_t k;
    std::vector<Neighbour> items;
    size_t worst = 0;

    void offer(const Neighbour& c) {
        if (items.size() < k) {
            items.push_back(c);
            if (items.size() == k) find_worst();
            return;
        }
        if (!better(c, items[worst])) return;
        items[worst] = c;
        find_worst();
    }
    void find_worst() {
        worst = 0;
        for (size_t i = 1; i < items.size(); ++i)
            if (better(items[worst], items[i])) worst = i;
    }
};

Result<void> check_vector(std::span<const float> v, int dim, int64_t id, const char* what) {
    if (int64_t(v.size()) != dim)
        return make_error(what, " ", id, " has ", v.size(), " dimensions; the index holds ", dim, "-d vectors");
    for (float x : v)
        if (!std::isfinite(x)) return make_error(what, " ", id, " has a NaN or infinite component");
    return {};
}

}  // namespace

void EmbeddingIndex::reserve(int64_t n) {
    ids_.reserve(size_t(n));
    unit_.reserve(size_t(n) * size_t(dim_));
}

Result<void> EmbeddingIndex::add(int64_t id, std::span<const float> v) {
    MS_TRY(check_vector(v, dim_, id, "embedding"));
    double norm2 = 0;
    for (float x : v) norm2 += double(x) * x;
    if (norm2 == 0) return make_error("embedding ", id, " is the zero vector; it has no direction to compare");
    const float inv = float(1.0 / std::sqrt(norm2));
    ids_.push_back(id);
    for (float x : v) unit_.push_back(x * inv);
    return {};
}

Result<std::vector<Neighbour>> EmbeddingIndex::nearest(std::span<const float> query, int k, int threads) const {
    if (k < 1) return make_error("nearest neighbours: k must be at least 1 (got ", k, ")");
    MS_TRY(check_vector(query, dim_, 0, "the query vector (id"));
    double norm2 = 0;
    for (float x : query) norm2 += double(x) * x;
    if (norm2 == 0) return make_error("the query vector is the zero vector; it has no direction to compare");
    std::vector<float> q(query.begin(), query.end());
    const float inv = float(1.0 / std::sqrt(norm2));
    for (float& x : q) x *= inv;

    const int64_t n = size();
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    // Below ~64k vectors a thread costs more to start than its share of the scan.
    threads = int(std::clamp<int64_t>(n / 65536, 1, threads));
    std::vector<TopK> tops(size_t(threads), TopK{size_t(k), {}, 0});
    auto scan = [&](int t) {
        const int64_t b = n * t / threads, e = n * (t + 1) / threads;
        TopK& top = tops[size_t(t)];
        top.items.reserve(size_t(k));
        for (int64_t i = b; i < e; ++i)
            top.offer({ids_[size_t(i)], dot(unit_.data() + size_t(i) * size_t(dim_), q.data(), dim_)});
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(scan, t);
    scan(0);
    for (std::thread& th : pool) th.join();

    std::vector<Neighbour> all;
    for (const TopK& t : tops) all.insert(all.end(), t.items.begin(), t.items.end());
    std::sort(all.begin(), all.end(), better);
    if (all.size() > size_t(k)) all.resize(size_t(k));
    return all;
}

}  // namespace ms
