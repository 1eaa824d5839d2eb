#pragma once
// `ddb table apply|check|terraform` (src/cli/table.cpp).
#include "cli/common.hpp"

namespace ddb::cli {
int table_command(const args& a);
}
