// Back/forward history of the genome view, as a browser keeps it: visiting a region after going
// back drops the regions ahead; visiting the current region again adds nothing, so the view's own
// report of a region reached by Back is not recorded twice.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "genomics/locus.h"

namespace ms::ui {

class NavigationHistory {
public:
    void visit(const Region& region) {
        if (at_ < entries_.size() && entries_[at_] == region) return;
        if (!entries_.empty()) entries_.resize(at_ + 1);
        entries_.push_back(region);
        at_ = entries_.size() - 1;
        if (entries_.size() > kMaxEntries) {
            entries_.erase(entries_.begin());
            --at_;
        }
    }
    bool canGoBack() const { return !entries_.empty() && at_ > 0; }
    bool canGoForward() const { return at_ + 1 < entries_.size(); }
    std::optional<Region> back() {
        if (!canGoBack()) return std::nullopt;
        return entries_[--at_];
    }
    std::optional<Region> forward() {
        if (!canGoForward()) return std::nullopt;
        return entries_[++at_];
    }
    void clear() {
        entries_.clear();
        at_ = 0;
    }

private:
    static constexpr size_t kMaxEntries = 200;
    std::vector<Region> entries_;
    size_t at_ = 0;
};

}  // namespace ms::ui
