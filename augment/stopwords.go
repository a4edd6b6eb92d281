package augment

// stopWords is the stop-word list of Wei & Zou's EDA (code/eda.py of
// github.com/jasonwei20/eda_nlp, "Easy data augmentation techniques for
// text classification", 2019): synonym replacement never replaces these.
var stopWords = map[string]bool{}

func init() {
	for _, w := range []string{"i", "me", "my", "myself", "we", "our",
		"ours", "ourselves", "you", "your", "yours",
		"yourself", "yourselves", "he", "him", "his",
		"himself", "she", "her", "hers", "herself",
		"it", "its", "itself", "they", "them", "their",
		"theirs", "themselves", "what", "which", "who",
		"whom", "this", "that", "these", "those", "am",
		"is", "are", "was", "were", "be", "been", "being",
		"have", "has", "had", "having", "do", "does", "did",
		"doing", "a", "an", "the", "and", "but", "if", "or",
		"because", "as", "until", "while", "of", "at",
		"by", "for", "with", "about", "against", "between",
		"into", "through", "during", "before", "after",
		"above", "below", "to", "from", "up", "down", "in",
		"out", "on", "off", "over", "under", "again",
		"further", "then", "once", "here", "there", "when",
		"where", "why", "how", "all", "any", "both", "each",
		"few", "more", "most", "other", "some", "such", "no",
		"nor", "not", "only", "own", "same", "so", "than", "too",
		"very", "s", "t", "can", "will", "just", "don",
		"should", "now", ""} {
		stopWords[w] = true
	}
}

// IsStopWord reports whether w is on EDA's stop-word list.
func IsStopWord(w string) bool { return stopWords[w] }
