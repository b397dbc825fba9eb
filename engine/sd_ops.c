
/* stub */
#include "sd_ops.h"
