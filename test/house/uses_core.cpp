// What a pure room may include: the core and the public headers (test house.allowed).
#include "core/lifecycle.hpp"
#include "ddb/limits.hpp"
