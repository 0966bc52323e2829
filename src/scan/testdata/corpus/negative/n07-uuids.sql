INSERT INTO api_clients (id, name, secret_id) VALUES
  ('eb78e575-3c7f-455a-ab0c-215a60039527', 'client-0', 'b23fab15-3bf6-455a-a196-caba2d6796dd'),
  ('64433a50-c6f5-4c47-a6b0-03a8582ca9f3', 'client-1', '1fe7a905-a5db-44d6-aa43-6debafe811bf'),
  ('e895fac9-93ec-4c17-a4b5-078d5c24f83d', 'client-2', 'b504cff0-d06b-442a-ab0c-8b32885fa51c'),
  ('e3235fa0-91dd-4671-a601-9d978226ad49', 'client-3', 'e651663c-dd9e-4239-a5fa-5678aa34419a'),
  ('e9e04449-d06b-451f-af88-68edbe56cddc', 'client-4', '79657807-cee0-480b-ab5a-0aa9dce40833'),
  ('60687713-c50a-4106-af08-2e170be198a8', 'client-5', 'be61a910-234f-4fb7-aa5a-16e607f96bbf');
