#include "rvkit/hub/proxy.hpp"
