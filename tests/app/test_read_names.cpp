// ReadNames: the occurrence count of each read name, across the table's growth.
#include <string>

#include "app/read_names.h"
#include "tests/common/harness.h"

MS_TEST(read_names_count_each_name_across_growth) {
    ms::ReadNames names;
    const int n = 300000;  // past several doublings of the 65,536-slot table
    for (int i = 0; i < n; ++i) MS_CHECK_EQ(names.occurrence("read" + std::to_string(i)), 1);
    for (int i = 0; i < n; i += 1000) MS_CHECK_EQ(names.occurrence("read" + std::to_string(i)), 2);
    MS_CHECK_EQ(names.occurrence("read0"), 3);
    MS_CHECK_EQ(names.occurrence(""), 1);
    MS_CHECK_EQ(names.occurrence("read1"), 2);
    MS_CHECK_EQ(names.occurrence("read" + std::to_string(n)), 1);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }
