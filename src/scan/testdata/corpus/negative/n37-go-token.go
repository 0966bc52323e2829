package auth

func (s *Service) IssueToken(ctx context.Context, userID string) (string, error) {
	token := s.signer.Sign(claims(userID))
	secret := s.keys.Current()
	return token, s.store.Save(ctx, userID, secret.ID)
}
