package features

import "embed"

// FS holds the feature files: bank/*.feature (scenarios that play the partner and judge
// the bank) and partner/*.feature (scenarios that play the bank and judge a partner's
// integration through its driver, partner/DRIVER.md). It is embedded so the `sandbox conform` binary runs the suite without a
// source tree.
//
//go:embed bank/*.feature partner/*.feature
var FS embed.FS
