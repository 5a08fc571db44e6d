#include "app/read_names.h"

namespace ms {

namespace {

// FNV-1a then a finaliser (splitmix64's): the table's index is the hash's low bits.
uint64_t name_hash(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h ? h : 1;
}

}  // namespace

bool ReadNames::insert_hash(uint64_t h) {
    if (2 * (used_ + 1) > slots_.size()) {
        std::vector<uint64_t> old = std::move(slots_);
        slots_.assign(old.empty() ? size_t(1) << 16 : old.size() * 2, 0);
        used_ = 0;
        for (uint64_t v : old)
            if (v) insert_hash(v);
    }
    const size_t mask = slots_.size() - 1;
    for (size_t i = size_t(h) & mask;; i = (i + 1) & mask) {
        if (slots_[i] == h) return false;
        if (slots_[i] == 0) {
            slots_[i] = h;
            ++used_;
            return true;
        }
    }
}

int ReadNames::occurrence(std::string_view name) {
    if (insert_hash(name_hash(name))) return 1;
    auto [it, inserted] = repeated_.try_emplace(std::string(name), 1);
    return ++it->second;
}

}  // namespace ms
