package ed2k

import "time"

var zeroTime time.Time
