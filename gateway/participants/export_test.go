package participants

// Compared is the number of bcrypt comparisons Authenticate has made.
func (r *Registry) Compared() int64 { return r.compared.Load() }
