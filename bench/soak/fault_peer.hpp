#pragma once
#include "soak.hpp"

namespace soak {

// Serves on `listening_fd` (a bound, listening TCP socket) until the process
// ends: the faults each request's key names, and storms on `weather`'s clock.
void run_fault_peer(int listening_fd, storms weather);

}  // namespace soak
