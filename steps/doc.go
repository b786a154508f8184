// Package steps is the conformance harness's step library for the godog suites in
// features/. It plays the partner against a bank over the wire and judges what the bank
// does, using only the bank's published contract (README "The wire contract", the
// served /docs pages) and its own implementation of that contract on tjfoc/gmsm — a
// different SM2 implementation from the bank's — so a passing run proves
// interoperability, not self-agreement. It never imports sandbox/internal or
// sandbox/sdk (a test in this package enforces it).
//
// Per-scenario state (the apps the scenario registered, the users it logged in, the
// last exchange) lives in a *World kept in the scenario's context.Context, so scenarios
// run concurrently and in any order; every scenario registers its own apps.
package steps
