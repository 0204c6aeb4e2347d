"""Text: jieba tokenization with the domain dictionary, its token cache, and TF-IDF features."""
