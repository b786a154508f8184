package server

// userRoutes: the bank-hosted pages where the user logs in (password + one-time code),
// consents or refuses, and later revokes (JR/T 0185-2020 7.2.1 b), 9.3.1, 9.3.2).
func (s *Server) userRoutes() {}
