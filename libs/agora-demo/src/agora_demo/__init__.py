"""The Agora demo journey (``make demo``): a bilingual tenant seeded and a story played
across the four running services, over gRPC only, printing what each person sees."""
