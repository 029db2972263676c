"""前台综合受理 and 统一窗口出件: acceptance, 补正, 容缺, refusal, delivery."""
