package report

// Matrix is a coverage table the report shows beside the verdicts: which obligation or
// control is judged where, and by what. The partner suite fills one with its
// obligations (each with the scenarios that fail a partner breaking it and the mutant
// partners that prove it), the bank suite one with its controls × the surfaces each
// guards. A row whose Status is not "covered" (or "passed") is a hole in the suite.
type Matrix struct {
	ID      string      `json:"id"`      // e.g. "partner-obligations", "bank-controls"
	Title   string      `json:"title"`   // a heading for people
	Note    string      `json:"note"`    // one paragraph: what a row means
	Columns []string    `json:"columns"` // column headings, Status excluded
	Rows    []MatrixRow `json:"rows"`
}

// MatrixRow is one row of a Matrix.
type MatrixRow struct {
	Cells []string `json:"cells"` // one per column
	// Status is "covered" or "passed" for a row the suite judges, anything else
	// ("uncovered", "failed", "not-run") for a hole or a failure.
	Status string `json:"status"`
}

// Counts returns how many rows the matrix has and how many are covered or passed.
func (m Matrix) Counts() (rows, ok int) {
	for _, r := range m.Rows {
		if r.Status == MatrixCovered || r.Status == VerdictPassed {
			ok++
		}
	}
	return len(m.Rows), ok
}

// MatrixCovered is the Status of a row the suite judges.
const MatrixCovered = "covered"
