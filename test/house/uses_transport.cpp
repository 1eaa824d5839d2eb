// A room that may not use the transport includes it: the build must refuse (test house.rooms).
#include "transport/transport.hpp"
