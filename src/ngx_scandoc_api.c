
/* stub: replaced by its owner */

#include "ngx_scandoc.h"
